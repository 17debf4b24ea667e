import Foundation

/// Where a call body's recording link points, and how storage links are signed.
///
/// PureTalk links to a path on its API host, which needs the API key; for some
/// calls that path redirects to a signed storage URL. PuppeteerAI links straight
/// to a signed storage URL on another host, which must get no key. Signed URLs
/// carry `expires` (Unix seconds) and a signature over the path and expiry.
public struct RecordingLinks: Sendable {
    /// PureTalk's API base, e.g. `https://api.puretalk.ai/api`.
    public var pureTalkAPIBase: String
    /// The storage host's origin, e.g. `https://storage.puppeteerai.com`.
    public var storageOrigin: String
    /// When signed links issued now stop working (Unix seconds).
    public var expires: Int

    /// Far in the future: links that in practice never expire, so bodies stay byte-for-byte deterministic.
    public static let farFuture = 4_102_444_800  // 2100-01-01

    /// The links the real vendors' example bodies use.
    public static let production = RecordingLinks(
        pureTalkAPIBase: "https://api.puretalk.ai/api", storageOrigin: "https://storage.puppeteerai.com", expires: farFuture)

    public init(pureTalkAPIBase: String, storageOrigin: String, expires: Int) {
        self.pureTalkAPIBase = pureTalkAPIBase
        self.storageOrigin = storageOrigin
        self.expires = expires
    }

    func pureTalkRecording(_ id: String) -> String {
        "\(pureTalkAPIBase)/calls/\(Self.segment(id))/recording"
    }

    func signedStorageURL(_ vendor: SimulatedVendor, id: String) -> String {
        let path = Self.storagePath(vendor, id: id)
        return "\(storageOrigin)\(path)?expires=\(expires)&sig=\(Self.signature(path: path, expires: expires))"
    }

    /// Two-party recordings are stored as `<id>-multichannel` (Retell) and `<id>-stereo` (Vapi).
    static let twoPartySuffixes = ["-multichannel", "-stereo"]

    /// The call a stored recording belongs to.
    public static func callID(ofRecording id: String) -> String {
        for suffix in twoPartySuffixes where id.hasSuffix(suffix) { return String(id.dropLast(suffix.count)) }
        return id
    }

    static func storagePath(_ vendor: SimulatedVendor, id: String) -> String {
        "/rec/\(vendor.rawValue)/\(segment(id)).wav"
    }

    /// A keyed hash standing in for the storage service's HMAC.
    static func signature(path: String, expires: Int) -> String {
        var rng = SplitMix64("storage-secret:\(path):\(expires)")
        return String(format: "%016llx%016llx", rng.next(), rng.next())
    }

    static func segment(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: unreserved) ?? id
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// Whether PureTalk's API path answers this call's recording with a redirect
    /// to storage (about a third of calls) instead of the bytes.
    public static func pureTalkRedirects(_ id: String) -> Bool {
        var rng = SplitMix64("recording-redirect:\(id)")
        return rng.int(0...2) == 0
    }
}
