/// One MPEG audio frame header (ISO/IEC 11172-3 §2.4.2.3, ISO/IEC 13818-3 §2.4.2.3, and the
/// unofficial MPEG 2.5 extension). Only headers that describe a frame we can size are accepted:
/// free-format (bitrate index 0) and every reserved value are refused.
struct MPEGAudioFrameHeader: Sendable, Equatable {
    enum Version: Sendable {
        case mpeg1, mpeg2, mpeg25
    }

    let raw: UInt32
    let version: Version
    /// 1, 2 or 3.
    let layer: Int
    /// Bits per second.
    let bitrate: Int
    let sampleRate: Int
    let padding: Bool
    let channels: Int

    init?(_ bytes: ArraySlice<UInt8>) {
        guard bytes.count >= 4 else { return nil }
        let raw = UInt32(bytes.byte(at: 0)) << 24 | UInt32(bytes.byte(at: 1)) << 16
            | UInt32(bytes.byte(at: 2)) << 8 | UInt32(bytes.byte(at: 3))
        // 11 set bits of frame sync.
        guard raw & 0xFFE0_0000 == 0xFFE0_0000 else { return nil }
        let versionBits = (raw >> 19) & 3
        let layerBits = (raw >> 17) & 3
        let bitrateIndex = Int((raw >> 12) & 0xF)
        let rateIndex = Int((raw >> 10) & 3)
        // Reserved version, reserved layer, free format, bad bitrate, reserved rate, reserved emphasis.
        guard versionBits != 1, layerBits != 0, bitrateIndex != 0, bitrateIndex != 15, rateIndex != 3,
              raw & 3 != 2 else { return nil }

        let version: Version = versionBits == 3 ? .mpeg1 : versionBits == 2 ? .mpeg2 : .mpeg25
        let layer = 4 - Int(layerBits)
        let kbps: Int
        switch (version, layer) {
        case (.mpeg1, 1): kbps = Self.mpeg1Layer1[bitrateIndex]
        case (.mpeg1, 2): kbps = Self.mpeg1Layer2[bitrateIndex]
        case (.mpeg1, _): kbps = Self.mpeg1Layer3[bitrateIndex]
        case (_, 1): kbps = Self.mpeg2Layer1[bitrateIndex]
        default: kbps = Self.mpeg2Layer2And3[bitrateIndex]
        }
        let baseRate = rateIndex == 0 ? 44100 : rateIndex == 1 ? 48000 : 32000
        self.raw = raw
        self.version = version
        self.layer = layer
        self.bitrate = kbps * 1000
        self.sampleRate = version == .mpeg1 ? baseRate : version == .mpeg2 ? baseRate / 2 : baseRate / 4
        self.padding = raw & 0x200 != 0
        // Channel mode 3 is single channel; the others (stereo, joint, dual) carry two.
        self.channels = (raw >> 6) & 3 == 3 ? 1 : 2
    }

    /// The whole frame in bytes, header included. At most 2881 (MPEG 2 layer II, 160 kbit/s, 8 kHz).
    var frameLength: Int {
        let pad = padding ? 1 : 0
        switch layer {
        case 1: return (12 * bitrate / sampleRate + pad) * 4
        case 2: return 144 * bitrate / sampleRate + pad
        default: return (version == .mpeg1 ? 144 : 72) * bitrate / sampleRate + pad
        }
    }

    /// Audio samples per channel that the frame decodes to.
    var samplesPerFrame: Int {
        switch layer {
        case 1: return 384
        case 2: return 1152
        default: return version == .mpeg1 ? 1152 : 576
        }
    }

    /// Where a Xing/Info tag sits in a layer III frame: after the header and the side information.
    var xingTagOffset: Int {
        switch (version, channels) {
        case (.mpeg1, 1): return 4 + 17
        case (.mpeg1, _): return 4 + 32
        case (_, 1): return 4 + 9
        default: return 4 + 17
        }
    }

    /// Frames of one stream agree on version, layer and sample rate; bitrate, padding, CRC and
    /// mode may change from frame to frame (VBR, joint stereo). ffmpeg uses the same mask.
    func isCompatible(with other: MPEGAudioFrameHeader) -> Bool {
        raw & 0xFFFE_0C00 == other.raw & 0xFFFE_0C00
    }

    /// True for a layer III frame that carries a Xing, Info or VBRI tag rather than audio. Such a
    /// frame decodes to silence that players drop, so its samples are not counted.
    func isTagFrame(_ frame: ArraySlice<UInt8>) -> Bool {
        guard layer == 3 else { return false }
        let offset = xingTagOffset
        if frame.matches("Xing", at: offset) || frame.matches("Info", at: offset) { return true }
        // The VBRI tag (Fraunhofer) always follows 32 bytes after the header.
        return frame.matches("VBRI", at: 4 + 32)
    }

    // Bitrates in kbit/s, by index; index 0 (free format) and 15 are refused before lookup.
    private static let mpeg1Layer1 = [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448, 0]
    private static let mpeg1Layer2 = [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 0]
    private static let mpeg1Layer3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0]
    private static let mpeg2Layer1 = [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256, 0]
    private static let mpeg2Layer2And3 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0]
}
