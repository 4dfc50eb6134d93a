import FoundationEssentials
import Glibc
import KeyStore
import ThetaConsole

/// One `theta-console scan` run: walks the paths, streams each file through a `LeakScanner` in
/// 1 MiB reads, looks the keys found up in the database (if any), deactivates the active ones
/// when asked, and hands every finding to `report`.
final class LeakScan {
    struct Totals {
        var files = 0
        var bytes = 0
        var findings = 0
        var live = 0
        var lookalikes = 0
        var binary = 0
        var deactivated = 0
        /// Paths that could not be read, or folders named without `-r`.
        var problems = 0
    }

    static let bufferSize = 1 << 20
    /// A file with a NUL byte this early is binary, as git and grep decide.
    static let binaryProbe = 8 * 1024
    static let gitFolder = Array(".git".utf8)

    let store: KeyStore?
    let deactivate: Bool
    let recursive: Bool
    let verbose: Bool
    /// Each finding with the path it was found in (as given or joined, "-" for stdin) and whether
    /// this run deactivated its key.
    let report: (String, LeakFinding, Bool) -> Void
    private(set) var totals = Totals()
    private var deactivatedIDs: Set<String> = []
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: LeakScan.bufferSize, alignment: 16)

    init(store: KeyStore?, deactivate: Bool, recursive: Bool, verbose: Bool,
         report: @escaping (String, LeakFinding, Bool) -> Void) {
        self.store = store
        self.deactivate = deactivate
        self.recursive = recursive
        self.verbose = verbose
        self.report = report
    }

    deinit { buffer.deallocate() }

    /// Scans each path, or stdin when there is none. Database failures are thrown; unreadable
    /// paths are told on stderr and counted.
    func run(_ paths: [String]) throws {
        if paths.isEmpty { return try scanDescriptor(0, name: "-") }
        for path in paths {
            if path == "-" {
                try scanDescriptor(0, name: "-")
            } else {
                try visit(Array(path.utf8), named: true)
            }
        }
    }

    // MARK: - Walking

    /// A path named on the command line is followed if it is a link and read whatever it is
    /// (`<(command)` is a pipe); inside a folder, only regular files are read and links are not followed.
    private func visit(_ path: [UInt8], named: Bool) throws {
        var info = stat()
        let found = Self.withCString(path) { named ? stat($0, &info) : lstat($0, &info) }
        guard found == 0 else { return problem(path, String(cString: strerror(errno))) }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            guard recursive else { return problem(path, "is a folder; use -r to scan it") }
            try walk(path)
        case S_IFREG:
            try scanFile(path, named: named)
        case _ where named:
            try scanFile(path, named: named)
        case S_IFLNK:
            note(path, "symbolic link, not followed")
        default:
            note(path, "not a regular file, skipped")
        }
    }

    /// A folder's entries in byte order, skipping `.git` (a folder, or a worktree's `.git` file).
    private func walk(_ folder: [UInt8]) throws {
        guard let directory = Self.withCString(folder, { opendir($0) }) else {
            return problem(folder, String(cString: strerror(errno)))
        }
        var names: [[UInt8]] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            names.append(name)
        }
        closedir(directory)
        for name in names.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let path = folder.last == UInt8(ascii: "/") ? folder + name : folder + [UInt8(ascii: "/")] + name
            if name == Self.gitFolder {
                note(path, "skipped (.git)")
                continue
            }
            try visit(path, named: false)
        }
    }

    private func scanFile(_ path: [UInt8], named: Bool) throws {
        // Not named: the entry was a regular file at lstat; O_NOFOLLOW keeps a link swapped in since out.
        let flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | (named ? 0 : O_NOFOLLOW)
        let fd = Self.withCString(path) { open($0, flags) }
        guard fd >= 0 else { return problem(path, String(cString: strerror(errno))) }
        defer { close(fd) }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        try scanDescriptor(fd, name: Self.display(path))
    }

    // MARK: - Reading

    /// Scans `fd` to its end, then reports what it held.
    private func scanDescriptor(_ fd: Int32, name: String) throws {
        var scanner = LeakScanner()
        var found: [LeakScanner.Finding] = []
        var first = true
        while true {
            guard let (count, atEnd) = fill(fd) else { return problem(Array(name.utf8), String(cString: strerror(errno))) }
            if first {
                first = false
                if memchr(buffer.baseAddress!, 0, min(count, Self.binaryProbe)) != nil {
                    totals.binary += 1
                    note(Array(name.utf8), "binary file (a NUL byte in its first 8 KiB), skipped")
                    return
                }
            }
            scanner.scan(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) { found.append($0) }
            if atEnd { break }
        }
        totals.files += 1
        totals.bytes += scanner.bytesScanned
        totals.lookalikes += scanner.lookalikes
        try settle(found, in: name)
    }

    /// Reads until the buffer is full or the input ends; nil on a read error (errno is set).
    private func fill(_ fd: Int32) -> (count: Int, atEnd: Bool)? {
        var count = 0
        while count < buffer.count {
            let n = read(fd, buffer.baseAddress! + count, buffer.count - count)
            if n > 0 {
                count += n
            } else if n == 0 {
                return (count, true)
            } else if errno != EINTR {
                return nil
            }
        }
        return (count, false)
    }

    /// Looks the file's keys up, deactivates the active ones when asked, and reports each.
    private func settle(_ found: [LeakScanner.Finding], in name: String) throws {
        guard !found.isEmpty else { return }
        for finding in try LeakFinding.lookUp(found, in: store) {
            var deactivatedNow = false
            if deactivate, finding.isDeactivatable, let store, let id = finding.record?.id, !deactivatedIDs.contains(id) {
                _ = try store.deactivateKey(id: id, actor: "cli", remoteAddress: nil,
                                            detail: "leak_scan: " + Self.printable(name == "-" ? "(stdin)" : name))
                deactivatedIDs.insert(id)
                deactivatedNow = true
                totals.deactivated += 1
            }
            totals.findings += 1
            if finding.isLive { totals.live += 1 }
            report(name, finding, deactivatedNow)
        }
    }

    // MARK: - Messages

    /// A path that could not be scanned: always told, and it makes the exit status 1.
    private func problem(_ path: [UInt8], _ message: String) {
        totals.problems += 1
        printError("theta-console scan: \(Self.printable(Self.display(path))): \(message)")
    }

    /// Something skipped on purpose: told with --verbose.
    private func note(_ path: [UInt8], _ message: String) {
        if verbose { printError("theta-console scan: \(Self.printable(Self.display(path))): \(message)") }
    }

    static func display(_ path: [UInt8]) -> String {
        String(decoding: path, as: UTF8.self)
    }

    /// Control characters shown as `?`, so a file name cannot forge lines of output or of the audit log.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
    }

    private static func withCString<T>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) -> T) -> T {
        (path + [0]).withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) }
        }
    }
}
