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

public struct SyntheticCompanies: Sendable {
    /// Named defects a generated company can carry, each caught by validation.
    public enum Defect: String, CaseIterable, Sendable, Codable {
        /// The business license, the identity proof or the contract document is missing.
        case missingDocument = "missing_document"
        /// The legal representative's ID number has a wrong check character.
        case badCheckCharacter = "bad_check_character"
        /// The legal representative's ID card expired before the reference date.
        case expiredIdentity = "expired_identity"
        /// The renewal amount differs from the contract's.
        case amountMismatch = "amount_mismatch"
        /// The service expired before the reference date.
        case lapsedService = "lapsed_service"

        /// The finding codes validation reports for this defect (one of them, for missingDocument).
        public var expectedCodes: Set<FindingCode> {
            switch self {
            case .missingDocument: return [.businessLicenseMissing, .identityProofMissing, .serviceContractMissing]
            case .badCheckCharacter: return [.idCardCheckCharacter]
            case .expiredIdentity: return [.materialExpired]
            case .amountMismatch: return [.contractAmountMismatch]
            case .lapsedService: return [.serviceLapsed]
            }
        }
    }

    public let seed: UInt64
    /// Share of companies holding a unified license; the rest hold the three legacy certificates.
    public var unifiedShare: Double
    /// Share of legal representatives identified by passport rather than ID card.
    public var passportShare: Double
    private var nextIndex = 1

    public init(seed: UInt64, unifiedShare: Double = 0.8, passportShare: Double = 0.05) {
        self.seed = seed; self.unifiedShare = unifiedShare; self.passportShare = passportShare
    }

    /// The company at `index` (1-based by convention), independent of any other call.
    public mutating func next(defect: Defect? = nil, referenceDate: CivilDate, index: Int) -> CompanyFile {
        nextIndex = index + 1
        return company(index: index, defect: defect, referenceDate: referenceDate)
    }

    /// The next company in sequence, starting at index 1.
    public mutating func next(defect: Defect? = nil, referenceDate: CivilDate) -> CompanyFile {
        next(defect: defect, referenceDate: referenceDate, index: nextIndex)
    }

    /// A deterministic defect plan: about `rate` of the indices carry a defect, spread over all kinds.
    public func plannedDefect(index: Int, rate: Double) -> Defect? {
        var random = SeededRandom(seed: mix(seed ^ 0xD3F3_C7A1, UInt64(truncatingIfNeeded: index)))
        guard random.chance(rate) else { return nil }
        return random.pick(Defect.allCases)
    }

    public func company(index: Int, defect: Defect? = nil, referenceDate: CivilDate) -> CompanyFile {
        var random = SeededRandom(seed: mix(seed, UInt64(truncatingIfNeeded: index)))
        let place = random.pick(Self.places)
        let name = place.city + random.pick(Self.nameWords) + random.pick(Self.industries)
            + (random.chance(0.08) ? "股份有限公司" : "有限公司")
        let representative = Self.personName(&random)
        let contact = random.chance(0.5) ? representative : Self.personName(&random)
        let ref = "C" + Self.padded(index, 5)
        let company = Company(ref: ref, name: name, legalRepresentative: representative, contactName: contact,
                              contactPhone: Self.mobile(&random), contactEmail: "c\(Self.padded(index, 5))@example.com")

        let issued = referenceDate.adding(days: -random.int(in: 200...3000))
        var materials: [Material] = []
        let organizationBody = Self.organizationBody(&random)
        let organizationCode = organizationBody + String(OrganizationCode.checkCharacter(for: organizationBody) ?? "0")
        if random.chance(unifiedShare) {
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

        // The legal representative's identity proof.
        let identityUntil = referenceDate.adding(days: random.int(in: 60...7300))
        if random.chance(passportShare) && defect != .badCheckCharacter && defect != .expiredIdentity {
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

        // The service, due for inspection soon, and the contract for its next term.
        let termMonths = random.chance(0.85) ? 12 : random.pick([24, 36])
        let expiresOn = defect == .lapsedService
            ? referenceDate.adding(days: -random.int(in: 1...30))
            : referenceDate.adding(days: random.int(in: 5...60))
        let amount = Money(fen: Int64(random.int(in: 12...980)) * 10_000)
        let contractNumber = "HT" + Self.padded(expiresOn.year, 4) + "-" + Self.padded(index, 6)
        let contract = Contract(number: contractNumber, amount: amount, startsOn: expiresOn.adding(months: -termMonths),
                                endsOn: expiresOn.adding(months: termMonths).adding(days: random.int(in: 0...31)))
        materials.append(Material(kind: .serviceContract, number: contractNumber, holderName: name,
                                  validFrom: contract.startsOn, validUntil: nil, fileChecksum: Self.checksum(&random)))
        var renewalAmount = amount
        if defect == .amountMismatch {
            let delta = Int64(random.int(in: 1...50)) * 10_000
            renewalAmount = Money(fen: random.chance(0.5) ? amount.fen + delta : max(100, amount.fen - delta))
            if renewalAmount == amount { renewalAmount = Money(fen: amount.fen + 100) }
        }
        let service = Service(ref: "S" + Self.padded(index, 5), consoleInstanceId: "i-bp1" + Self.lowerAlphanumerics(&random, 15),
                              serviceType: random.pick(Self.serviceTypes), region: random.pick(Self.regions),
                              expiresOn: expiresOn, renewalAmount: renewalAmount,
                              renewalMethod: random.chance(0.6) ? .auto : .manual,
                              contractNumber: contractNumber, termMonths: termMonths)

        if defect == .missingDocument {
            let removed: MaterialKind = random.pick([.businessLicense, .idCard, .serviceContract])
            materials.removeAll { $0.kind == removed || (removed == .idCard && $0.kind == .passport) }
        }
        return CompanyFile(company: company, materials: materials, contracts: [contract], service: service)
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
