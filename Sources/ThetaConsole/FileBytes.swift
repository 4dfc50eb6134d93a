import Glibc

/// A whole file that holds nothing secret (`serve --stubs`, `--replay`'s recordings), read up to
/// a limit: 4 MiB unless told.
public enum FileBytes {
    public static func read(_ path: String, limit: Int = 4 * 1024 * 1024) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return read(fd: fd, limit: limit)
    }

    /// What is left to read from `fd`, at most `limit` bytes (nil past that, or on an error).
    public static func read(fd: Int32, limit: Int = 4 * 1024 * 1024) -> [UInt8]? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count <= limit {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return n == 0 ? bytes : nil }
            bytes += buffer[0..<n]
        }
        return nil
    }
}
