import Glibc

/// The database's file on disk, made before SQLite opens it: readable by its owner only, and never
/// made through a symbolic link.
///
/// SQLite would create a missing file with mode 0644 (less the umask), following a link to wherever
/// it points. So theta-console creates it itself, `O_CREAT | O_EXCL | O_NOFOLLOW` with mode 0600, and
/// refuses a path that is a link to nothing. SQLite then gives `-wal` and `-shm` the database's own
/// mode. A link to an existing file is opened as usual: that is no creation.
enum DatabaseFile {
    struct LinkToNothing: Error, CustomStringConvertible {
        let path: String
        var description: String {
            "\(path) is a symbolic link to a file that does not exist; theta-console creates its database only at a real path"
        }
    }

    /// Creates the file at `location` (a path or an SQLite `file:` URI) if it does not exist yet.
    /// In-memory and temporary databases have no file.
    static func prepare(_ location: String) throws {
        guard let path = filesystemPath(location) else { return }
        var info = stat()
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFLNK else { return }  // an existing file or folder
            if stat(path, &info) == 0 { return }  // a link to an existing file
            throw LinkToNothing(path: path)
        }
        let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd >= 0 {
            Glibc.close(fd)
        } else if errno == EEXIST {
            // Made in between by someone else: judge it again (a link made meanwhile is refused).
            if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK, stat(path, &info) != 0 { throw LinkToNothing(path: path) }
        }
        // Any other failure (no such folder, no permission) is left for SQLite to report.
    }

    /// The file behind `location`: the path itself, or the path of a `file:` URI (RFC 8089, as
    /// SQLite reads it). Nil for `:memory:`, "" (a temporary database) and `mode=memory` URIs.
    static func filesystemPath(_ location: String) -> String? {
        if location.isEmpty || location == ":memory:" { return nil }
        guard location.hasPrefix("file:") else { return location }
        var rest = Substring(location.dropFirst("file:".count))
        var query = Substring("")
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        if query.split(separator: "&").contains(where: { $0 == "mode=memory" }) { return nil }
        if rest.hasPrefix("//") {
            // file://localhost/path or file:///path: an authority, then an absolute path.
            rest = rest.dropFirst(2)
            guard let slash = rest.firstIndex(of: "/") else { return nil }
            rest = rest[slash...]
        }
        let path = percentDecoded(rest)
        return path.isEmpty || path == ":memory:" ? nil : path
    }

    private static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2, let high = hex(utf8[utf8.startIndex]),
               let low = hex(utf8[utf8.startIndex + 1]) {
                bytes.append(high << 4 | low)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
