// Fuzz target `job`: JobDefinition.parse, the job-file reader (YAML through Yams).
import NianjianRunner

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJob(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: bytes(data, size), as: UTF8.self)
    let first = outcome(text)
    require(outcome(text) == first, "two parses of the same text differ")
    switch first {
    case .failure(let error):
        require(error.file == "fuzz.yml", "error names file \(shown(error.file))")
        require(!error.message.isEmpty && !error.messageZh.isEmpty, "error without a message")
        if let line = error.line {
            require(line >= 1 && line <= lineCount(text), "error on line \(line) of a \(lineCount(text))-line file: \(error)")
        }
        require(error.description.hasPrefix(error.line.map { "fuzz.yml:\($0): " } ?? "fuzz.yml: "), "error not located: \(error)")
    case .success(let summary):
        checkBounds(summary.job)
    case .unexpected:
        break
    }
    return 0
}

/// What a parse gives, comparable.
private enum Outcome: Equatable {
    case success(Summary)
    case failure(JobFileError)
    case unexpected

    static func == (lhs: Outcome, rhs: Outcome) -> Bool {
        switch (lhs, rhs) {
        case (.success(let left), .success(let right)): return left == right
        case (.failure(let left), .failure(let right)): return left.description == right.description
        case (.unexpected, .unexpected): return true
        default: return false
        }
    }
}

/// Every field of a job (JobDefinition itself is not Equatable).
private struct Summary: Equatable {
    let job: JobDefinition
    let fields: String

    init(_ job: JobDefinition) {
        self.job = job
        fields = [job.name, "\(job.planFirst)", "\(job.planWindowDays)", "\(job.nightHours)", "\(job.nightStartHour)",
                  "\(job.globalConcurrency)", "\(job.perTenantConcurrency)", "\(job.submitRate)", "\(job.submitBurst)",
                  "\(job.pollRate)", "\(job.pollBurst)", "\(job.leaseSeconds)", "\(job.heartbeatSeconds)",
                  "\(job.claimBatch)", "\(job.writeBatch)", "\(job.flushMilliseconds)", "\(job.shutdownGraceSeconds)",
                  "\(job.databaseRetrySeconds)", job.consoleAdapter].joined(separator: "\u{1F}")
    }

    static func == (lhs: Summary, rhs: Summary) -> Bool {
        lhs.fields == rhs.fields && lhs.job.retry == rhs.job.retry && lhs.job.poll == rhs.job.poll
            && lhs.job.console == rhs.job.console && lhs.job.cloud == rhs.job.cloud && lhs.job.database == rhs.job.database
    }
}

private func outcome(_ text: String) -> Outcome {
    do {
        return .success(Summary(try JobDefinition.parse(text, file: "fuzz.yml")))
    } catch let error as JobFileError {
        return .failure(error)
    } catch {
        require(false, "parse threw something other than a JobFileError: \(error)")
        return .unexpected
    }
}

/// A job the reader accepts keeps every documented bound.
private func checkBounds(_ job: JobDefinition) {
    require(!job.name.isEmpty, "empty name")
    require((0...3660).contains(job.planWindowDays) && (0...24).contains(job.nightHours), "plan window or night hours")
    require((0...23).contains(job.nightStartHour), "night_start_hour \(job.nightStartHour)")
    require(job.globalConcurrency >= 1 && job.perTenantConcurrency >= 1, "concurrency below 1")
    require(job.submitRate >= 0 && job.pollRate >= 0 && job.submitBurst >= 1 && job.pollBurst >= 1, "rate limits")
    require((1...1000).contains(job.retry.maxAttempts) && job.retry.multiplier >= 1 && (0...1).contains(job.retry.jitter),
            "retry \(job.retry)")
    require(job.retry.baseDelaySeconds >= 0 && job.retry.maxDelaySeconds >= 0, "retry delays")
    require(job.heartbeatSeconds < job.leaseSeconds && job.heartbeatSeconds >= 0.1, "heartbeat \(job.heartbeatSeconds), lease \(job.leaseSeconds)")
    require(job.claimBatch >= 1 && job.writeBatch >= 1 && job.flushMilliseconds >= 0, "batches")
    require(["mock", "aliyun", "simulator"].contains(job.consoleAdapter), "adapter \(job.consoleAdapter)")
    let console = job.console
    require(console.loginFailureRate + console.buttonFailureRate <= 1, "login + button faults over 1")
    require(console.rejectionRates.values.reduce(0, +) <= 1 + 1e-9, "rejection rates over 1")
    for rate in [console.loginFailureRate, console.buttonFailureRate, console.progressFailureRate, console.timeoutRate,
                 console.throttleRate] {
        require(rate.isFinite && (0...1).contains(rate), "a rate of \(rate)")
    }
    for url in [job.cloud.simulatorURL] + job.cloud.endpoints.values {
        let lower = url.lowercased()
        require((lower.hasPrefix("http://") || lower.hasPrefix("https://")) && !url.hasSuffix("/") && !url.contains(" "),
                "URL \(shown(url))")
    }
    require(job.cloud.timeoutSeconds >= 0.1 && job.cloud.timeoutSeconds <= 600, "cloud timeout")
    let database = job.database
    for limit in [database.statementTimeoutSeconds, database.lockTimeoutSeconds, database.idleInTransactionTimeoutSeconds] {
        require(limit.isFinite && (0...86_400).contains(limit), "database limit \(limit)")
    }
}

private func lineCount(_ text: String) -> Int {
    // Yams counts a line per line break (CR, LF, CRLF, and the Unicode ones), plus one past the end.
    var lines = 1
    var previous: Unicode.Scalar = " "
    for scalar in text.unicodeScalars {
        if scalar == "\n" ? previous != "\r" : ["\r", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) { lines += 1 }
        previous = scalar
    }
    return lines + 1
}
