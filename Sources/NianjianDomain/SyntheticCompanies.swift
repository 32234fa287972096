// Deterministic synthetic client companies for the demo, benchmarks and tests. Each company depends only
// on (seed, index, defect, reference date), so a benchmark of 200,000 companies or a demo tenant can be
// rebuilt identically anywhere, in any order, on any number of threads.

/// SplitMix64: small, fast, and good enough for test data (not for secrets).
public struct SeededRandom: RandomNumberGenerator, Sendable, Hashable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound without modulo bias worth worrying about for data generation.
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }

    public mutating func int(in range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }

    public mutating func chance(_ probability: Double) -> Bool {
        Double(next() >> 11) / Double(1 << 53) < probability
    }

    /// A double in [0, 1): for jitter.
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// A generated company with its whole portfolio, and where its planted defect should show.
public struct SyntheticPortfolio: Sendable, Hashable {
    /// The company with every document, contract and service; `file.service` is its first service.
    public var file: CompanyFile
    public var defect: SyntheticCompanies.Defect?
    /// The blocking finding codes each service's validation must report (empty: the service is clean).
    public var expectedCodes: [String: Set<FindingCode>]

    public var company: Company { file.company }
    public var services: [Service] { file.services }
    /// One file per service, each inspecting that service.
    public var files: [CompanyFile] { file.filePerService }
    /// Services whose validation must come out clean.
    public var cleanServiceRefs: [String] { services.map(\.ref).filter { expectedCodes[$0, default: []].isEmpty } }
}

public struct SyntheticCompanies: Sendable {
    /// Named defects a generated company can carry, each caught by validation. Some hit the whole company
    /// (every service), some one service or the services under one contract.
    public enum Defect: String, CaseIterable, Sendable, Codable {
        /// The business license or the identity proof is missing (company-wide).
        case missingDocument = "missing_document"
        /// The legal representative's ID number has a wrong check character (company-wide).
        case badCheckCharacter = "bad_check_character"
        /// The legal representative's ID card expired before the reference date (company-wide).
        case expiredIdentity = "expired_identity"
        /// One service's renewal amount differs from what its contract covers (every service under that
        /// contract is flagged: the contract's sum no longer matches).
        case amountMismatch = "amount_mismatch"
        /// One service expired before the reference date.
        case lapsedService = "lapsed_service"
        /// One contract's document was never uploaded (the services under it are flagged).
        case contractDocumentMissing = "contract_document_missing"
        /// One service names a contract that is not on file.
        case contractNotOnFile = "contract_not_on_file"

        /// Whether the defect concerns every service of the company.
        public var isCompanyWide: Bool {
            switch self {
            case .missingDocument, .badCheckCharacter, .expiredIdentity: return true
            case .amountMismatch, .lapsedService, .contractDocumentMissing, .contractNotOnFile: return false
            }
        }
    }

    public let seed: UInt64
    /// Share of companies holding a unified license; the rest hold the three legacy certificates.
    public var unifiedShare: Double
    /// Share of legal representatives identified by passport rather than ID card.
    public var passportShare: Double
    /// How many services a company has (drawn uniformly-ish, favouring small portfolios).
    public var servicesPerCompany: ClosedRange<Int>

    public init(seed: UInt64, unifiedShare: Double = 0.8, passportShare: Double = 0.05,
                servicesPerCompany: ClosedRange<Int> = 1...4) {
        self.seed = seed; self.unifiedShare = unifiedShare; self.passportShare = passportShare
        self.servicesPerCompany = servicesPerCompany
    }

    /// A deterministic defect plan: about `rate` of the indices carry a defect, spread over all kinds.
    public func plannedDefect(index: Int, rate: Double) -> Defect? {
        var random = SeededRandom(seed: mix(seed ^ 0xD3F3_C7A1, UInt64(truncatingIfNeeded: index)))
        guard random.chance(rate) else { return nil }
        return random.pick(Defect.allCases)
    }

    /// The company at `index` (1-based by convention) with its portfolio, independent of any other call:
    /// 1–4 services (as `servicesPerCompany` allows) expiring on different days, some sharing a contract
    /// (whose amount is then their sum), and about a quarter of the companies with an expired earlier
    /// contract and its document still on file beside the contract that renewed it.
    public func portfolio(index: Int, defect: Defect? = nil, referenceDate: CivilDate) -> SyntheticPortfolio {
        var random = SeededRandom(seed: mix(seed, UInt64(truncatingIfNeeded: index)))
        let place = random.pick(Self.places)
        let name = place.city + random.pick(Self.nameWords) + random.pick(Self.industries)
            + (random.chance(0.08) ? "股份有限公司" : "有限公司")
        let representative = Self.personName(&random)
        let contact = random.chance(0.5) ? representative : Self.personName(&random)
        let ref = "C" + Self.padded(index, 5)
        let company = Company(ref: ref, name: name, legalRepresentative: representative, contactName: contact,
                              contactPhone: Self.mobile(&random), contactEmail: "c\(Self.padded(index, 5))@example.com")

        var materials = Self.companyDocuments(&random, name: name, representative: representative, place: place,
                                              unified: random.chance(unifiedShare), passport: random.chance(passportShare),
                                              defect: defect, referenceDate: referenceDate)

        // The services, each due on its own day soon, grouped under contracts (a service shares the previous
        // one's contract now and then).
        let serviceCount = Self.portfolioSize(&random, within: servicesPerCompany)
        var services: [Service] = []
        var groups: [[Int]] = []
        for position in 0..<serviceCount {
            let termMonths = random.chance(0.85) ? 12 : random.pick([24, 36])
            let expiresOn = referenceDate.adding(days: random.int(in: 5...60))
            let amount = Money(fen: Int64(random.int(in: 12...980)) * 10_000)
            services.append(Service(ref: "S" + Self.padded(index, 5) + "-" + String(position + 1),
                                    consoleInstanceId: "i-bp1" + Self.lowerAlphanumerics(&random, 15),
                                    serviceType: random.pick(Self.serviceTypes), region: random.pick(Self.regions),
                                    expiresOn: expiresOn, renewalAmount: amount, renewalMethod: random.chance(0.6) ? .auto : .manual,
                                    contractNumber: "", termMonths: termMonths))
            if position > 0, random.chance(0.35) { groups[groups.count - 1].append(position) } else { groups.append([position]) }
        }
        var contracts: [Contract] = []
        for (number, members) in groups.enumerated() {
            let contractNumber = "HT" + Self.padded(referenceDate.year, 4) + "-" + Self.padded(index, 6) + "-" + String(number + 1)
            for member in members { services[member].contractNumber = contractNumber }
            let covered = members.map { services[$0] }
            let starts = covered.map(\.expiresOn).min() ?? referenceDate
            let ends = covered.map { $0.expiresOn.adding(months: $0.termMonths) }.max() ?? referenceDate
            let contract = Contract(number: contractNumber, amount: covered.reduce(Money.zero) { $0 + $1.renewalAmount },
                                    startsOn: starts.adding(months: -12), endsOn: ends.adding(days: random.int(in: 0...31)))
            contracts.append(contract)
            materials.append(Material(kind: .serviceContract, number: contractNumber, holderName: name,
                                      validFrom: contract.startsOn, validUntil: nil, fileChecksum: Self.checksum(&random)))
        }
        // Last year's contract, expired and renewed by this year's: on file, and no service's concern.
        if random.chance(0.25) {
            let old = Contract(number: "HT" + Self.padded(referenceDate.year - 1, 4) + "-" + Self.padded(index, 6) + "-1",
                               amount: contracts[0].amount, startsOn: referenceDate.adding(months: -24),
                               endsOn: referenceDate.adding(days: -random.int(in: 20...200)))
            contracts.append(old)
            materials.append(Material(kind: .serviceContract, number: old.number, holderName: name, validFrom: old.startsOn,
                                      validUntil: old.endsOn, fileChecksum: Self.checksum(&random)))
        }

        // The planted defect, and where validation must find it.
        var expected: [String: Set<FindingCode>] = [:]
        let target = random.below(services.count)
        func underContract(of position: Int) -> [Int] {
            services.indices.filter { services[$0].contractNumber == services[position].contractNumber }
        }
        switch defect {
        case nil:
            break
        case .missingDocument:
            let removed: MaterialKind = random.pick([.businessLicense, .idCard])
            materials.removeAll { $0.kind == removed || (removed == .idCard && $0.kind == .passport) }
            for service in services { expected[service.ref] = [removed == .businessLicense ? .businessLicenseMissing : .identityProofMissing] }
        case .badCheckCharacter:
            for service in services { expected[service.ref] = [.idCardCheckCharacter] }
        case .expiredIdentity:
            for service in services { expected[service.ref] = [.materialExpired] }
        case .amountMismatch:
            let delta = Int64(random.int(in: 1...50)) * 10_000
            let amount = services[target].renewalAmount.fen
            services[target].renewalAmount = Money(fen: random.chance(0.5) ? amount + delta : max(100, amount - delta))
            if services[target].renewalAmount.fen == amount { services[target].renewalAmount = Money(fen: amount + 100) }
            for member in underContract(of: target) { expected[services[member].ref] = [.contractAmountMismatch] }
        case .lapsedService:
            services[target].expiresOn = referenceDate.adding(days: -random.int(in: 1...30))
            expected[services[target].ref] = [.serviceLapsed]
        case .contractDocumentMissing:
            let number = services[target].contractNumber
            materials.removeAll { $0.kind == .serviceContract && $0.number == number }
            for member in underContract(of: target) { expected[services[member].ref] = [.serviceContractMissing] }
        case .contractNotOnFile:
            let original = services[target].contractNumber
            services[target].contractNumber = original + "X"
            expected[services[target].ref] = [.contractNotFound]
            // The siblings left under the original contract stay clean: it now covers only them.
            let remaining = services.filter { $0.contractNumber == original }
            if !remaining.isEmpty, let position = contracts.firstIndex(where: { $0.number == original }) {
                contracts[position].amount = remaining.reduce(Money.zero) { $0 + $1.renewalAmount }
            }
        }
        let file = CompanyFile(company: company, materials: materials, contracts: contracts, service: services[0], services: services)
        return SyntheticPortfolio(file: file, defect: defect, expectedCodes: expected)
    }

    /// The company documents: a unified licence (or the three legacy certificates) and the legal
    /// representative's identity proof, with a company-wide defect when asked.
    static func companyDocuments(_ random: inout SeededRandom, name: String, representative: String,
                                 place: (city: String, division: String), unified: Bool, passport: Bool, defect: Defect?,
                                 referenceDate: CivilDate) -> [Material] {
        let issued = referenceDate.adding(days: -random.int(in: 200...3000))
        var materials: [Material] = []
        let organizationBody = Self.organizationBody(&random)
        let organizationCode = organizationBody + String(OrganizationCode.checkCharacter(for: organizationBody) ?? "0")
        if unified {
            let first17 = "91" + place.division + organizationCode
            let uscc = first17 + String(UnifiedSocialCreditCode.checkCharacter(for: first17) ?? "0")
            materials.append(Material(kind: .businessLicense, number: uscc, holderName: name, validFrom: issued,
                                      validUntil: nil, fileChecksum: Self.checksum(&random)))
        } else {
            let first14 = place.division + Self.digits(&random, 8)
            let registration = first14 + String(RegistrationNumber.checkDigit(for: first14) ?? "0")
            materials.append(Material(kind: .businessLicense, number: registration, holderName: name, validFrom: issued,
                                      validUntil: issued.adding(months: 240), fileChecksum: Self.checksum(&random)))
            materials.append(Material(kind: .organizationCode,
                                      number: String(organizationCode.prefix(8)) + "-" + String(organizationCode.suffix(1)),
                                      holderName: name, validFrom: issued, validUntil: nil, fileChecksum: Self.checksum(&random)))
            materials.append(Material(kind: .taxRegistration, number: place.division + organizationCode, holderName: name,
                                      validFrom: issued, validUntil: nil, fileChecksum: Self.checksum(&random)))
        }

        let identityUntil = referenceDate.adding(days: random.int(in: 60...7300))
        if passport && defect != .badCheckCharacter && defect != .expiredIdentity {
            // Passports run 10 years: issued before the reference date, expiring after it.
            let passportUntil = referenceDate.adding(days: random.int(in: 60...3500))
            materials.append(Material(kind: .passport, number: "E" + Self.digits(&random, 8), holderName: representative,
                                      validFrom: passportUntil.adding(months: -120), validUntil: passportUntil,
                                      fileChecksum: Self.checksum(&random)))
        } else {
            let birth = CivilDate(year: random.int(in: 1955...2000), month: random.int(in: 1...12), day: random.int(in: 1...28))
                ?? referenceDate
            let first17 = random.pick(Self.places).division + Self.padded(birth.year, 4) + Self.padded(birth.month, 2)
                + Self.padded(birth.day, 2) + Self.digits(&random, 3)
            var check = String(ResidentIdentityNumber.checkCharacter(for: first17) ?? "0")
            if defect == .badCheckCharacter {
                let options = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "X"].filter { $0 != check }
                check = random.pick(options)
            }
            let until = defect == .expiredIdentity ? referenceDate.adding(days: -random.int(in: 1...400)) : identityUntil
            materials.append(Material(kind: .idCard, number: first17 + check, holderName: representative,
                                      validFrom: until.adding(months: -240), validUntil: until, fileChecksum: Self.checksum(&random)))
        }
        return materials
    }

    /// 1: 35 %, 2: 35 %, 3: 20 %, 4: 10 % (clamped to `range`).
    static func portfolioSize(_ random: inout SeededRandom, within range: ClosedRange<Int>) -> Int {
        let roll = random.below(100)
        let size = roll < 35 ? 1 : roll < 70 ? 2 : roll < 90 ? 3 : 4
        return min(max(size, range.lowerBound), range.upperBound)
    }

    // MARK: Word lists

    /// City, and a real district division code (GB/T 2260) in it.
    static let places: [(city: String, division: String)] = [
        ("北京", "110108"), ("北京", "110105"), ("上海", "310115"), ("上海", "310104"), ("广州", "440106"),
        ("深圳", "440305"), ("深圳", "440304"), ("杭州", "330106"), ("南京", "320106"), ("苏州", "320505"),
        ("成都", "510107"), ("武汉", "420106"), ("西安", "610113"), ("合肥", "340104"), ("天津", "120116"),
        ("重庆", "500112"), ("厦门", "350203"), ("长沙", "430104"), ("青岛", "370212"), ("宁波", "330212"),
    ]
    static let nameWords = [
        "星辰", "华创", "云帆", "博远", "恒通", "瑞丰", "鼎盛", "智联", "天成", "嘉禾", "新锐", "汇金", "远航",
        "金鹏", "鸿图", "启明", "睿达", "众合", "同舟", "蓝海", "正元", "长青", "凯乐", "晨曦", "海纳", "明德",
    ]
    static let industries = [
        "科技", "信息技术", "网络科技", "贸易", "文化传媒", "电子商务", "软件", "企业管理咨询", "物流",
        "生物科技", "数据服务", "教育科技", "广告", "建筑工程", "餐饮管理",
    ]
    static let surnames = [
        "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
        "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "欧阳", "司马",
    ]
    static let givenCharacters = [
        "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
        "秀", "英", "华", "平", "刚", "桂", "建", "国", "志", "文", "海", "玲", "雪", "晨", "宇", "欣", "浩",
    ]
    static let serviceTypes = ["ECS", "RDS", "OSS", "SLB", "CDN", "WAF"]
    static let regions = ["cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen", "cn-chengdu", "cn-qingdao"]

    // MARK: Pieces

    static func personName(_ random: inout SeededRandom) -> String {
        var name = random.pick(surnames) + random.pick(givenCharacters)
        if random.chance(0.7) { name += random.pick(givenCharacters) }
        return name
    }

    static func mobile(_ random: inout SeededRandom) -> String {
        "1" + String(random.int(in: 3...9)) + digits(&random, 9)
    }

    static func digits(_ random: inout SeededRandom, _ count: Int) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(count)
        for _ in 0..<count { bytes.append(UInt8(0x30 + random.below(10))) }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func lowerAlphanumerics(_ random: inout SeededRandom, _ count: Int) -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)
        var bytes = [UInt8]()
        for _ in 0..<count { bytes.append(alphabet[random.below(alphabet.count)]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Eight body characters: older codes are digits, codes issued since 2015 start with MA (the
    /// characters stay inside the unified code's alphabet so they embed in a unified code).
    static func organizationBody(_ random: inout SeededRandom) -> String {
        if random.chance(0.5) { return digits(&random, 8) }
        let alphabet = Array(UnifiedSocialCreditCode.alphabet.utf8)
        var bytes: [UInt8] = Array("MA".utf8)
        for _ in 0..<6 { bytes.append(alphabet[random.below(alphabet.count)]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A plausible SHA-256 hex of the scanned file.
    static func checksum(_ random: inout SeededRandom) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var bytes = [UInt8]()
        bytes.reserveCapacity(64)
        for _ in 0..<4 {
            var word = random.next()
            for _ in 0..<16 { bytes.append(hex[Int(word & 0xF)]); word >>= 4 }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func padded(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    private func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var random = SeededRandom(seed: a ^ (b &* 0x9E37_79B9_7F4A_7C15))
        return random.next()
    }
}
