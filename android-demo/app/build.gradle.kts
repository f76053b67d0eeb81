import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
    id("org.jetbrains.kotlin.plugin.compose")
}

// The repository root (android-demo/..): the Rust workspace whose sangam-ffi crate we package.
val repoRoot: File = rootProject.projectDir.parentFile
// Generated uniffi Kotlin bindings (package org.sangam): build output, never committed.
val uniffiOut = layout.buildDirectory.dir("generated/uniffi")

android {
    namespace = "org.sangam.demo"
    compileSdk = 35

    defaultConfig {
        applicationId = "org.sangam.demo"
        minSdk = 24
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        ndk {
            // The ABIs build-rust.sh builds libsangam_ffi.so for.
            abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64")
        }
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
            // A demo: signed with the debug key so `assembleRelease` installs as is.
            signingConfig = signingConfigs.getByName("debug")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    buildFeatures {
        compose = true
    }

    sourceSets {
        getByName("main") {
            // libsangam_ffi.so per ABI (from cargo-ndk) and the generated bindings.
            jniLibs.srcDir("src/main/jniLibs")
            java.srcDir(uniffiOut)
        }
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

// Builds the Rust library for every ABI with cargo-ndk and generates the Kotlin bindings with
// the workspace's pinned uniffi-bindgen (see build-rust.sh). Up to date while the Rust sources
// are unchanged; skipped with -Psangam.skipRust=true.
val buildRust by tasks.registering(Exec::class) {
    group = "build"
    description = "Builds libsangam_ffi.so with cargo-ndk and generates the uniffi Kotlin bindings"
    workingDir = rootProject.projectDir
    commandLine("bash", rootProject.file("build-rust.sh").absolutePath)
    inputs.files(
        fileTree(repoRoot.resolve("core/src")),
        fileTree(repoRoot.resolve("bindings/src")),
        repoRoot.resolve("Cargo.toml"),
        repoRoot.resolve("Cargo.lock"),
        repoRoot.resolve("core/Cargo.toml"),
        repoRoot.resolve("bindings/Cargo.toml"),
        repoRoot.resolve("bindings/uniffi.toml"),
        rootProject.file("build-rust.sh"),
    )
    outputs.dir(file("src/main/jniLibs"))
    outputs.dir(uniffiOut)
    onlyIf { providers.gradleProperty("sangam.skipRust").orNull != "true" }
}

tasks.named("preBuild") {
    dependsOn(buildRust)
}

dependencies {
    // The generated bindings load libsangam_ffi.so through JNA (the AAR carries libjnidispatch).
    implementation("net.java.dev.jna:jna:5.14.0@aar")

    implementation(platform("androidx.compose:compose-bom:2024.12.01"))
    implementation("androidx.compose.ui:ui")
    implementation("androidx.compose.foundation:foundation")
    implementation("androidx.compose.material3:material3")
    implementation("androidx.compose.material:material-icons-core")
    implementation("androidx.compose.ui:ui-tooling-preview")
    debugImplementation("androidx.compose.ui:ui-tooling")

    implementation("androidx.activity:activity-compose:1.9.3")
    implementation("androidx.navigation:navigation-compose:2.8.5")
    implementation("androidx.lifecycle:lifecycle-viewmodel-compose:2.8.7")
    implementation("androidx.lifecycle:lifecycle-runtime-ktx:2.8.7")
    implementation("androidx.lifecycle:lifecycle-process:2.8.7")
    implementation("androidx.work:work-runtime-ktx:2.10.0")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.9.0")

    // Scanning the hub's enrolment QR code (Google code scanner: no camera permission needed).
    implementation("com.google.android.gms:play-services-code-scanner:16.1.0")
}
