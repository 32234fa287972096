import Foundation
import Testing
@testable import NianjianDomain

@Suite("JSON literals")
struct JSONLiteralTests {
    @Test func plainASCIIIsQuotedAsIs() {
        #expect(JSONLiteral.string("validated") == "\"validated\"")
        #expect(JSONLiteral.string("") == "\"\"")
        #expect(JSONLiteral.string("a<b>&c") == "\"a<b>&c\"")
    }

    @Test func escapesWhatJSONAndHTMLNeed() {
        #expect(JSONLiteral.string("q\"uote\\") == "\"q\\\"uote\\\\\"")
        #expect(JSONLiteral.string("line\nnext\ttab\r") == "\"line\\nnext\\ttab\\r\"")
        #expect(JSONLiteral.string("a<b>&c", htmlSafe: true) == "\"a\\u003cb\\u003e\\u0026c\"")
        #expect(JSONLiteral.string("\u{1}") == "\"\\u0001\"")
        #expect(JSONLiteral.string("年检 ok") == "\"年检 ok\"")
        #expect(JSONLiteral.string("a\u{2028}b") == "\"a\\u2028b\"")
    }

    /// Whatever the text, the literal is JSON that decodes back to it.
    @Test func everyLiteralDecodesToItsText() throws {
        let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "<", ">", "&", "\n", "\t", "\u{1}", "\u{7F}", "年", "👩‍💻", "\u{2028}", "/"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let text = String((0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator) ?? "a" })
            for htmlSafe in [false, true] {
                let literal = JSONLiteral.string(text, htmlSafe: htmlSafe)
                let decoded = try JSONDecoder().decode(String.self, from: Data(literal.utf8))
                #expect(decoded == text, "\(literal)")
            }
        }
    }
}
