/// The voice-AI platforms the archive speaks to, and the facts of each API
/// that are not about decoding: where it lives and how it authenticates.
public enum Provider: String, Sendable, CaseIterable, Codable {
    case puretalk
    case puppeteer

    /// The documented production base URL; `--base-url` overrides it.
    public var defaultBaseURL: String {
        switch self {
        case .puretalk: "https://api.puretalk.ai/api"
        case .puppeteer: "https://api.puppeteerai.com"
        }
    }

    /// The environment variable the API key is read from.
    public var apiKeyVariable: String {
        switch self {
        case .puretalk: "PURETALK_API_KEY"
        case .puppeteer: "PUPPETEER_API_KEY"
        }
    }

    /// The header carrying the key: PureTalk uses `X-API-KEY`, PuppeteerAI the
    /// raw key in `Authorization`, with no `Bearer` prefix.
    public var authHeaderName: String {
        switch self {
        case .puretalk: "X-API-KEY"
        case .puppeteer: "Authorization"
        }
    }

    public var displayName: String {
        switch self {
        case .puretalk: "PureTalk"
        case .puppeteer: "PuppeteerAI"
        }
    }

    /// Turns a Get Call body into the archive's normalized rows.
    public var adapter: any VendorAdapter {
        switch self {
        case .puretalk: PureTalkAdapter()
        case .puppeteer: PuppeteerAdapter()
        }
    }
}
