//! The one shape of the stable error-code enums (`api::ErrorCode` for the
//! HTTP API, `grpc::GrpcCode` for the gRPC interface): snake_case wire
//! text, `ALL`, `as_str`, an infallible `FromStr` and serde, with
//! `Unknown` for a code a newer peer sends.

/// Declares a stable-code enum: `stable_codes! { #[attrs] Name; Variant =
/// "text", … }`. The caller's attributes come first (docs, derives of its
/// own); `Unknown` is added.
macro_rules! stable_codes {
    ($(#[$attr:meta])* $name:ident; $($(#[$doc:meta])* $variant:ident = $text:literal,)*) => {
        $(#[$attr])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$doc])* #[serde(rename = $text)] $variant,)*
            /// A code this build does not know.
            #[serde(other)]
            Unknown,
        }

        impl $name {
            /// Every known code, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The code's wire text (`"unknown"` for `Unknown`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Unknown => "unknown",
                }
            }
        }

        impl core::str::FromStr for $name {
            type Err = core::convert::Infallible;

            /// Never fails: an unknown text is `Unknown`.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(match s {
                    $($text => $name::$variant,)*
                    _ => $name::Unknown,
                })
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
