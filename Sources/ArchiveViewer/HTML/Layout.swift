/// The frame every page shares: the navigation, the stylesheet and the script,
/// all from this server (the Content-Security-Policy allows nothing else).
enum Layout {
    enum Section: String { case calls, search, stats }

    static func page(title: String, section: Section?, body: HTML) -> HTML {
        func link(_ href: String, _ label: String, _ target: Section) -> HTML {
            "<a href=\"\(href)\"\(section == target ? " class=\"here\"" as HTML : "")>\(label)</a>"
        }
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · archive</title>
            <link rel="icon" href="data:,">
            <link rel="stylesheet" href="/assets/viewer.css">
            <script src="/assets/viewer.js" defer></script>
            </head>
            <body>
            <header class="top"><span class="brand">archive</span>\(link("/", "Calls", .calls))\(link("/search", "Search", .search))\(link("/stats", "Stats", .stats))</header>
            <main>
            \(body)
            </main>
            </body>
            </html>
            """
    }
}
