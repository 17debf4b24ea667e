/// The voice-AI platforms the archive speaks to: the name stored in every
/// row's `provider` column and given to `--provider`.
///
/// The registry of vendors: a new vendor is a folder under `Vendors/` with its
/// `VendorAdapter`, a case here and its line in `adapter`, and a migration
/// that lets the `calls.provider` check accept the new name.
public enum Provider: String, Sendable, CaseIterable, Codable {
    case puretalk
    case puppeteer
    case retell
    case vapi

    /// Everything the archive knows about this vendor's API.
    public var adapter: any VendorAdapter {
        switch self {
        case .puretalk: PureTalkAdapter()
        case .puppeteer: PuppeteerAdapter()
        case .retell: RetellAdapter()
        case .vapi: VapiAdapter()
        }
    }

    public var displayName: String { adapter.displayName }
    public var defaultBaseURL: String { adapter.defaultBaseURL }
    public var apiKeyVariable: String { adapter.apiKeyVariable }
}
