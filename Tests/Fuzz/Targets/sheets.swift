// Fuzz target `sheets`: SpreadsheetReader.read, the whole import of an agency's files.
//
// The input is up to four files separated by two NUL bytes, named in order companies.csv, contracts.csv,
// services.csv, materials.csv; a fifth piece is an unrelated file (listed in the notes, never read).
import NianjianDomain
import NianjianSpreadsheet

private let names = SpreadsheetFile.allCases.map(\.rawValue) + ["readme.txt"]
/// Refs a tenant already has, so that partial imports (services.csv alone) can succeed too.
private let existing = ExistingRefs(companyRefs: ["C001", "C900"],
                                    contracts: [ContractKey(companyRef: "C900", contractNumber: "HT-900")])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSheets(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let files = split(bytes(data, size))
    let options = ReadOptions(limits: CSVLimits(maxProblems: 20))
    let result = SpreadsheetReader.read(files: files, existing: existing, options: options)
    require(result == SpreadsheetReader.read(files: files, existing: existing, options: options), "two reads differ")
    switch result {
    case .success(let read): checkImport(read, files: files)
    case .failure(let failure): checkFailure(failure, files: files, cap: options.limits.maxProblems)
    }
    return 0
}

private func split(_ input: [UInt8]) -> [String: [UInt8]] {
    var files: [String: [UInt8]] = [:]
    var piece: [UInt8] = []
    var index = 0
    while index < input.count, files.count < names.count - 1 {
        if input[index] == 0, index + 1 < input.count, input[index + 1] == 0 {
            files[names[files.count]] = piece
            piece = []
            index += 2
        } else {
            piece.append(input[index])
            index += 1
        }
    }
    piece += input[index...]
    files[names[files.count]] = piece
    return files
}

/// A clean import obeys every documented rule of SpreadsheetReader.
private func checkImport(_ read: SpreadsheetImport, files: [String: [UInt8]]) {
    let given = Set(files.keys.compactMap(SpreadsheetFile.init(fileName:)))
    require(Set(read.encodings.keys) == given, "encodings \(read.encodings) for files \(given)")
    let companies = Set(read.companies.map(\.companyRef))
    require(companies.count == read.companies.count, "duplicate company_ref imported")
    let known = companies.union(existing.companyRefs)
    let contracts = Set(read.contracts.map { ContractKey(companyRef: $0.companyRef, contractNumber: $0.contract.number) })
    require(contracts.count == read.contracts.count, "duplicate contract imported")
    require(Set(read.services.map(\.service.ref)).count == read.services.count, "duplicate service_ref imported")
    for row in read.companies {
        let company = row.company
        checkIdentifier(company.ref, line: row.line)
        for name in [company.name, company.legalRepresentative, company.contactName] {
            require(NameText.forbiddenScalar(in: name) == nil, "line \(row.line): a name with a forbidden character")
        }
        require(!company.name.isEmpty, "line \(row.line): a company without a name")
        require(company.contactEmail.isEmpty || company.contactEmail.contains("@"), "line \(row.line): e-mail without @")
    }
    for row in read.contracts {
        checkIdentifier(row.contract.number, line: row.line)
        require(known.contains(row.companyRef), "line \(row.line): contract of an unknown company")
        require(row.contract.startsOn <= row.contract.endsOn, "line \(row.line): contract ends before it starts")
        checkDate(row.contract.startsOn, line: row.line)
        checkDate(row.contract.endsOn, line: row.line)
        checkAmount(row.contract.amount, line: row.line)
    }
    for row in read.services {
        let service = row.service
        checkIdentifier(service.ref, line: row.line)
        checkIdentifier(service.consoleInstanceId, line: row.line)
        require(known.contains(row.companyRef), "line \(row.line): service of an unknown company")
        let key = ContractKey(companyRef: row.companyRef, contractNumber: service.contractNumber)
        // A service whose contract is not on file is imported, with a note on its line.
        require(contracts.contains(key) || existing.contracts.contains(key)
                || read.notes.contains { $0.line == row.line && $0.messageEn.contains("has no contract") },
                "line \(row.line): service of an unknown contract without a note")
        checkDate(service.expiresOn, line: row.line)
        checkAmount(service.renewalAmount, line: row.line)
        require((1...120).contains(service.termMonths), "line \(row.line): term of \(service.termMonths) months")
    }
    for row in read.materials {
        checkIdentifier(row.material.number, line: row.line)
        require(known.contains(row.companyRef), "line \(row.line): material of an unknown company")
        require(NameText.forbiddenScalar(in: row.material.holderName) == nil, "line \(row.line): holder name")
        if let from = row.material.validFrom, let until = row.material.validUntil {
            require(from <= until, "line \(row.line): valid until before valid from")
        }
        row.material.validFrom.map { checkDate($0, line: row.line) }
        row.material.validUntil.map { checkDate($0, line: row.line) }
    }
    for note in read.notes {
        require(files.keys.contains(note.file) && note.line >= 0 && note.column >= 0, "note not located: \(note)")
    }
}

private func checkIdentifier(_ value: String, line: Int) {
    require(line >= 2, "a row on line \(line), at or before the header")
    require(!value.isEmpty && value.count <= 200, "line \(line): identifier of \(value.count) characters")
    require(!value.unicodeScalars.contains { $0.properties.generalCategory == .control }, "line \(line): control character")
}

private func checkDate(_ date: CivilDate, line: Int) {
    require((1990...2199).contains(date.year), "line \(line): date \(date) outside 1990…2199")
}

private func checkAmount(_ amount: Money, line: Int) {
    require(amount.fen >= 0 && amount.fen <= 99_999_999_999_999, "line \(line): amount \(amount)")
}

/// A refused import names each problem's file, place and message, per file in line and column order.
private func checkFailure(_ failure: ImportFailure, files: [String: [UInt8]], cap: Int) {
    require(!failure.problems.isEmpty, "refused without a problem")
    var perFile: [String: Int] = [:]
    var previous: ImportProblem?
    for problem in failure.problems {
        require(problem.file.isEmpty || files.keys.contains(problem.file), "problem in an unknown file: \(problem)")
        require(problem.line >= 0 && problem.column >= 0, "problem not located: \(problem)")
        require(!problem.messageEn.isEmpty && !problem.messageZh.isEmpty, "problem without a message")
        // Messages quote cells briefly: a huge field is never echoed back.
        require(problem.description.utf8.count < 2_000, "a message of \(problem.description.utf8.count) bytes")
        perFile[problem.file, default: 0] += 1
        if let previous, previous.file == problem.file, previous.line > 0, problem.line > 0 {
            require((previous.line, previous.column) <= (problem.line, problem.column),
                    "problems of \(problem.file) out of order: \(previous) then \(problem)")
        }
        previous = problem
    }
    for (file, count) in perFile where !file.isEmpty {
        require(count <= cap + 1, "\(count) problems listed for \(file), over the cap of \(cap) (+1 note)")
    }
}
