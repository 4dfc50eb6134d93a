// Builds WAV headers and MPEG audio frame streams in memory, for edge cases no tool writes.

/// A little-endian byte writer.
struct Bytes {
    var bytes: [UInt8] = []

    mutating func ascii(_ s: String) { bytes += Array(s.utf8) }
    mutating func u16(_ v: Int) { bytes += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    mutating func u32(_ v: Int) { u16(v & 0xFFFF); u16(v >> 16 & 0xFFFF) }
    mutating func u64(_ v: UInt64) { u32(Int(v & 0xFFFF_FFFF)); u32(Int(v >> 32)) }
    mutating func raw(_ b: [UInt8]) { bytes += b }
}

enum WAVSynth {
    /// One RIFF chunk, with its pad byte when the body is odd-sized.
    static func chunk(_ id: String, _ body: [UInt8], declaredSize: Int? = nil) -> [UInt8] {
        var w = Bytes()
        w.ascii(id)
        w.u32(declaredSize ?? body.count)
        w.raw(body)
        if body.count % 2 == 1 { w.raw([0]) }
        return w.bytes
    }

    /// A `fmt ` chunk body; block alignment and byte rate follow from the others unless given.
    static func fmt(tag: Int = 1, channels: Int, sampleRate: Int, bits: Int,
                    blockAlign: Int? = nil, byteRate: Int? = nil, extra: [UInt8]? = nil) -> [UInt8] {
        let align = blockAlign ?? channels * ((bits + 7) / 8)
        var w = Bytes()
        w.u16(tag)
        w.u16(channels)
        w.u32(sampleRate)
        w.u32(byteRate ?? sampleRate * align)
        w.u16(align)
        w.u16(bits)
        if let extra { w.u16(extra.count); w.raw(extra) }
        return w.bytes
    }

    /// WAVE_FORMAT_EXTENSIBLE whose sub-format GUID names `subformat` (1 = PCM, 3 = float).
    static func extensibleFmt(subformat: Int, channels: Int, sampleRate: Int, bits: Int, validBits: Int? = nil) -> [UInt8] {
        var ext = Bytes()
        ext.u16(validBits ?? bits)
        ext.u32(channels == 2 ? 0x3 : 0x4)
        ext.u16(subformat)
        ext.raw([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71])
        return fmt(tag: 0xFFFE, channels: channels, sampleRate: sampleRate, bits: bits, extra: ext.bytes)
    }

    /// A whole file: "RIFF" size "WAVE", the chunks given, then a data chunk.
    static func file(fmt fmtBody: [UInt8]?, before: [[UInt8]] = [], dataSize: Int, declaredDataSize: Int? = nil,
                     after: [[UInt8]] = [], riffID: String = "RIFF", riffSize: Int? = nil) -> [UInt8] {
        var body = Bytes()
        body.ascii("WAVE")
        if let fmtBody { body.raw(chunk("fmt ", fmtBody)) }
        for c in before { body.raw(c) }
        body.raw(chunk("data", [UInt8](repeating: 0, count: dataSize), declaredSize: declaredDataSize))
        for c in after { body.raw(c) }
        var w = Bytes()
        w.ascii(riffID)
        w.u32(riffSize ?? body.bytes.count)
        w.raw(body.bytes)
        return w.bytes
    }

    /// Just the header of a 16-bit PCM file whose data chunk declares `dataSize` bytes.
    static func pcmHeader(channels: Int, sampleRate: Int, dataSize: Int) -> [UInt8] {
        Array(file(fmt: fmt(channels: channels, sampleRate: sampleRate, bits: 16), dataSize: 0, declaredDataSize: dataSize))
    }
}

enum MP3Synth {
    enum Version: Int { case mpeg1 = 3, mpeg2 = 2, mpeg25 = 0 }

    /// A four-byte frame header. `layer` is 1, 2 or 3; indexes are the raw table indexes.
    static func header(_ version: Version = .mpeg1, layer: Int = 3, bitrateIndex: Int = 9, rateIndex: Int = 0,
                       padding: Bool = false, mono: Bool = false, crc: Bool = false) -> [UInt8] {
        let b1 = 0xE0 | version.rawValue << 3 | (4 - layer) << 1 | (crc ? 0 : 1)
        let b2 = bitrateIndex << 4 | rateIndex << 2 | (padding ? 2 : 0)
        let b3 = (mono ? 3 : 1) << 6
        return [0xFF, UInt8(b1), UInt8(b2), UInt8(b3)]
    }

    /// The frame length the header implies, computed independently of the code under test.
    static func frameLength(_ version: Version, layer: Int, kbps: Int, sampleRate: Int, padding: Bool) -> Int {
        let pad = padding ? 1 : 0
        switch layer {
        case 1: return (12 * kbps * 1000 / sampleRate + pad) * 4
        case 2: return 144 * kbps * 1000 / sampleRate + pad
        default: return (version == .mpeg1 ? 144 : 72) * kbps * 1000 / sampleRate + pad
        }
    }

    /// A frame of the given length: header, then a body of `fill` bytes.
    static func frame(_ header: [UInt8], length: Int, fill: UInt8 = 0) -> [UInt8] {
        header + [UInt8](repeating: fill, count: length - 4)
    }

    /// MPEG-1 layer III, 128 kbit/s, 44.1 kHz stereo: 417 bytes, or 418 with padding; 1152 samples.
    static func cbrStream(frames: Int) -> [UInt8] {
        var out: [UInt8] = []
        for i in 0..<frames {
            let padding = i % 3 == 1
            out += frame(header(padding: padding), length: padding ? 418 : 417)
        }
        return out
    }

    /// A LAME-style "Info" (or "Xing") tag frame for MPEG-1 layer III stereo: the tag follows 32 bytes of side info.
    static func infoFrame(tag: String = "Info") -> [UInt8] {
        var f = frame(header(), length: 417)
        f.replaceSubrange(36..<40, with: Array(tag.utf8))
        return f
    }

    /// An ID3v2.4 header announcing `bodySize` bytes, then that many bytes of body.
    static func id3v2(bodySize: Int, footer: Bool = false) -> [UInt8] {
        let size = [UInt8(bodySize >> 21 & 0x7F), UInt8(bodySize >> 14 & 0x7F), UInt8(bodySize >> 7 & 0x7F), UInt8(bodySize & 0x7F)]
        var out: [UInt8] = Array("ID3".utf8) + [4, 0, footer ? 0x10 : 0] + size + [UInt8](repeating: 0, count: bodySize)
        if footer { out += Array("3DI".utf8) + [4, 0, 0x10] + size }
        return out
    }

    /// A 128-byte ID3v1 tag.
    static func id3v1() -> [UInt8] {
        Array("TAG".utf8) + [UInt8](repeating: 0x41, count: 125)
    }

    /// A minimal APEv2 footer-only tag.
    static func apeTag() -> [UInt8] {
        Array("APETAGEX".utf8) + [UInt8](repeating: 0, count: 24)
    }
}

