//! Sync: once, or whenever something changes.

use crate::ctx::*;

/// `vault sync`.
pub(crate) async fn sync(ctx: &mut Ctx) -> CliResult<()> {
    let mut d = ctx.unlocked().await?;
    ctx.progress("Syncing…");
    let r = d.sync().await?;
    if ctx.json {
        ctx.print_json(&sync_json(&r));
    }
    report_sync(ctx, &d, &r, true);
    Ok(())
}

/// `vault watch`.
pub(crate) async fn watch(ctx: &mut Ctx) -> CliResult<()> {
    let mut d = ctx.unlocked().await?;
    ctx.progress("Watching for changes (Ctrl-C to stop)…");
    let quiet = ctx.quiet || ctx.json;
    let json_out = ctx.json;
    let watch = d.watch(|r| {
        match r {
            Ok(r) if json_out => println!("{}", sync_json(r)),
            Ok(r) if !quiet && (r.pulled > 0 || r.pushed > 0) => eprintln!(
                "Synced: {} change(s) received, {} edit(s) sent.",
                r.pulled, r.pushed
            ),
            Err(e) if !quiet => eprintln!("Sync failed ({e}); retrying…"),
            _ => {}
        }
        ControlFlow::Continue(())
    });
    tokio::select! {
        r = watch => r?,
        _ = tokio::signal::ctrl_c() => ctx.progress("Stopped."),
    }
    Ok(())
}
