/// The simulator's recordings: deterministic bytes per (vendor, ID), a WAV
/// header followed by noise, 100 KB to 3 MB unless a size is configured.
///
/// Bytes are produced in chunks as they are sent, so a 50 MB recording never
/// sits in the simulator's memory either.
public enum RecordingFactory {
    public static let defaultSizes = 100_000...3_000_000

    /// The recording's length in bytes.
    public static func size(_ vendor: SimulatedVendor, id: String, fixed: Int? = nil) -> Int {
        if let fixed { return fixed }
        var rng = SplitMix64("recording-size:\(vendor.rawValue):\(id)")
        return rng.int(defaultSizes)
    }

    /// The MIME type the server sends with it.
    public static func contentType(_ vendor: SimulatedVendor) -> String {
        vendor == .puretalk ? "audio/wav" : "audio/x-wav"
    }

    /// The whole recording, for tests that compare bytes.
    public static func bytes(_ vendor: SimulatedVendor, id: String, fixed: Int? = nil) -> [UInt8] {
        var stream = RecordingStream(vendor, id: id, size: size(vendor, id: id, fixed: fixed))
        var out: [UInt8] = []
        while let chunk = stream.next(upTo: 1 << 20) { out += chunk }
        return out
    }
}

/// Produces one recording's bytes in order.
struct RecordingStream {
    let size: Int
    private(set) var offset = 0
    private var rng: SplitMix64
    private var header: [UInt8]
    /// Noise bytes left over from the last word, so chunk sizes never change the bytes.
    private var word: UInt64 = 0
    private var wordBytes = 0

    init(_ vendor: SimulatedVendor, id: String, size: Int) {
        self.size = size
        rng = SplitMix64("recording-bytes:\(vendor.rawValue):\(id)")
        header = Self.wavHeader(dataBytes: max(0, size - 44))
    }

    /// The next chunk of at most `limit` bytes, or nil at the end.
    mutating func next(upTo limit: Int) -> [UInt8]? {
        guard offset < size else { return nil }
        let count = min(limit, size - offset)
        var chunk = [UInt8]()
        chunk.reserveCapacity(count)
        while chunk.count < count, offset + chunk.count < header.count {
            chunk.append(header[offset + chunk.count])
        }
        while chunk.count < count {
            if wordBytes == 0 {
                word = rng.next()
                wordBytes = 8
            }
            chunk.append(UInt8(truncatingIfNeeded: word))
            word >>= 8
            wordBytes -= 1
        }
        offset += count
        return chunk
    }

    /// A 16-bit mono 8 kHz PCM header, so the file plays as (noisy) audio.
    static func wavHeader(dataBytes: Int) -> [UInt8] {
        func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        func le16(_ v: Int) -> [UInt8] { (0..<2).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        return Array("RIFF".utf8) + le32(36 + dataBytes) + Array("WAVEfmt ".utf8) + le32(16) + le16(1) + le16(1)
            + le32(8000) + le32(16000) + le16(2) + le16(16) + Array("data".utf8) + le32(dataBytes)
    }
}
