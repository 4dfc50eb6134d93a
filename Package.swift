// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "theta-console",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "theta-console", targets: ["theta-console"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // System libraries: a module map and a shim header each, nothing else.
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),

        .systemLibrary(
            name: "CTLS",
            pkgConfig: "libssl",
            providers: [.apt(["libssl-dev"])]
        ),

        // epoll and eventfd, which Glibc's module does not export.
        .systemLibrary(name: "CLinux"),

        // Named pthreads (no Foundation Thread): the event loops, the SQLite writer, the flush.
        .target(name: "PosixThreads", dependencies: ["CLinux"]),

        // A JSON string literal as bytes: HTTPServer's error bodies and ThetaConsole's JSON writer.
        .target(name: "JSONText"),

        // Knows HTTP, knows nothing about keys.
        .target(
            name: "HTTPServer",
            dependencies: ["CLinux", "CTLS", "PosixThreads", "JSONText", .product(name: "Logging", package: "swift-log")]
        ),

        // Knows keys, knows nothing about HTTP.
        .target(
            name: "KeyStore",
            dependencies: ["CSQLite", "COpenSSL", "PosixThreads"],
            plugins: ["EmbedAssets"]
        ),

        // Reads the duration of WAV and MP3 audio from a stream, without holding it. Knows nothing else.
        .target(name: "AudioProbe"),

        // Turns migrations/*.sql, docs/openapi.yaml and public/ into Swift source at build time,
        // so the binary carries its schema, API description and console, and runs from any folder.
        .executableTarget(name: "AssetEmbedder"),
        .plugin(
            name: "EmbedAssets",
            capability: .buildTool(),
            dependencies: ["AssetEmbedder"]
        ),

        // Wires the two: admin API, emulated Theta One API, configuration.
        .target(
            name: "ThetaConsole",
            dependencies: [
                "HTTPServer", "KeyStore", "AudioProbe", "PosixThreads", "JSONText",
                .product(name: "Logging", package: "swift-log"),
            ],
            plugins: ["EmbedAssets"]
        ),

        .executableTarget(
            name: "theta-console",
            dependencies: [
                "ThetaConsole", "KeyStore", "HTTPServer", "PosixThreads",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Shared by the test targets: a raw-socket HTTP client and the server-process fixture.
        .target(name: "TestSupport", dependencies: ["CLinux"], path: "Tests/TestSupport"),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "TestSupport"]),
        .testTarget(name: "KeyStoreTests", dependencies: ["KeyStore", "TestSupport"]),
        .testTarget(name: "EmulatorTests", dependencies: ["ThetaConsole"]),
        // The app in process: requests through the frozen router (RouterDriver), no socket, no binary;
        // its servers start from the same flags as `serve` (ServeCommand).
        .testTarget(name: "ThetaConsoleTests", dependencies: ["theta-console", "ThetaConsole", "KeyStore", "HTTPServer", "TestSupport"]),
        // Drives the console in headless Chromium through our own WebDriver client.
        .testTarget(name: "BrowserTests", dependencies: ["TestSupport"]),
        .testTarget(name: "AudioProbeTests", dependencies: ["AudioProbe", "TestSupport"], resources: [.copy("Fixtures")]),
        // Drives the real binary over real sockets; depending on it makes `swift test` build it.
        .testTarget(name: "EndToEndTests", dependencies: ["theta-console", "TestSupport"],
                    resources: [.copy("Fixtures")]),
    ]
)
