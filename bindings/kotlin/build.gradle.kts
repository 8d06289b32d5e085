// Android library module `dev.vault`: the UniFFI-generated Kotlin
// (bindings/ffi/generated/kotlin, not committed) plus the idiomatic layer in
// src/main/kotlin, and libvault_ffi.so per ABI under jniLibs.
//
// Before building:
//   bindings/kotlin/build-android-libs.sh      # cargo-ndk: jniLibs for every ABI + generated Kotlin
// Host-JVM unit tests (`./gradlew test`) load a desktop build instead:
//   bindings/ffi/generate.sh --test-vectors    # generated/lib/libvault_ffi.so with the test entry points

plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.0"
}

// The version every Vault package shares (Cargo.toml [workspace.package]);
// test-vectors/tests/versions.rs checks it.
version = "0.1.0"

val ffiDir = rootDir.resolve("../ffi/generated")

android {
    namespace = "dev.vault"
    compileSdk = 35

    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }

    sourceSets {
        getByName("main") {
            kotlin.srcDirs("src/main/kotlin", ffiDir.resolve("kotlin"))
            jniLibs.srcDirs(ffiDir.resolve("jniLibs"))
        }
        getByName("test") {
            kotlin.srcDirs("src/test/kotlin")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    testOptions {
        unitTests.all {
            // The host JVM loads libvault_ffi from the desktop build.
            it.systemProperty("jna.library.path", ffiDir.resolve("lib").absolutePath)
            it.systemProperty("vault.testVectors", rootDir.resolve("../../test-vectors").absolutePath)
        }
    }
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    // JNA with its Android native dispatch libraries.
    implementation("net.java.dev.jna:jna:5.14.0@aar")

    // Host-JVM unit tests use the plain JNA jar and JUnit 4.
    testImplementation("net.java.dev.jna:jna:5.14.0")
    testImplementation("junit:junit:4.13.2")
}
