import NianjianSpreadsheet
import Testing

/// Inputs the `csv` fuzz target (scripts/fuzz, Tests/Fuzz) found.
@Suite("CSV inputs found by fuzzing")
struct CSVFuzzFindingsTests {
    /// The fields before an unterminated quote were kept as a record past `maxRecords`
    /// (Tests/Fuzz/corpus/csv/crash-unterminated-over-max-records, read with maxRecords 4).
    @Test func unterminatedQuoteStaysWithinMaxRecords() {
        let limits = CSVLimits(maxRecords: 2)
        let document = CSVReader.parse("a\nb\nc,\"never closed\n", file: "t.csv", limits: limits)
        #expect(document.records.map(\.values) == [["a"], ["b"]])
        #expect(document.problems.map(\.line) == [3])
        // Under the limit the fields before the quote are still kept, damaged.
        let roomy = CSVReader.parse("a\nb\nc,\"never closed\n", file: "t.csv")
        #expect(roomy.records.count == 3 && roomy.records[2].isDamaged)
    }
}
