/// The vendor APIs the simulator speaks. Kept separate from ArchiveKit's
/// `Provider` so the simulator describes the vendors, not the code under test.
public enum SimulatedVendor: String, Sendable, CaseIterable {
    case puretalk
    case puppeteer
    case retell
    case vapi

    /// The path prefix that plays the vendor's base URL on the simulator.
    public var basePath: String {
        switch self {
        case .puretalk: "/puretalk/api"
        case .puppeteer: "/puppeteer"
        case .retell: "/retell"
        case .vapi: "/vapi"
        }
    }

    /// Get Call's path under `basePath`, before the ID.
    var callPath: String {
        switch self {
        case .puretalk, .puppeteer: "/calls/"
        case .retell: "/v2/get-call/"
        case .vapi: "/call/"
        }
    }

    /// List Calls' path under `basePath` (Retell's is a POST).
    var listPath: String {
        switch self {
        case .puretalk, .puppeteer: "/calls"
        case .retell: "/v3/list-calls"
        case .vapi: "/call"
        }
    }

    var authHeader: String {
        switch self {
        case .puretalk: "X-API-KEY"
        case .puppeteer, .retell, .vapi: "Authorization"
        }
    }

    /// The header value that carries `key`.
    func authValue(_ key: String) -> String {
        self == .retell || self == .vapi ? "Bearer " + key : key
    }

    /// Sample IDs the simulator knows; the demo and the benchmarks use them.
    public func sampleIDs(count: Int, start: Int = 1) -> [String] {
        let prefix = switch self {
        case .puretalk: "pt-call-"
        case .puppeteer: "pp-call-"
        case .retell: "rt-call-"
        case .vapi: "vc-call-"
        }
        return (start..<(start + count)).map { prefix + String(format: "%06d", $0) }
    }

    /// IDs containing this marker are answered 404, as deleted or mistyped calls are.
    public static let notFoundMarker = "missing"
}

/// A small deterministic generator (SplitMix64), seeded per call so every
/// request for the same ID gets the same bytes.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    init(_ text: String) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        state = hash
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    mutating func chance(_ probability: Double) -> Bool {
        Double(next() >> 11) / Double(1 << 53) < probability
    }

    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
}
