import Foundation
import Glibc

/// RFC 3339 timestamps, as Kubernetes and Calico write them.
enum Timestamp {
    static func now() -> String {
        let time = UTCTime(secondsSince1970: Int(Date().timeIntervalSince1970.rounded(.down)))
        return "\(time.date)T\(time.clock)Z"
    }
}

/// A second's calendar date and clock time in UTC, from the C library (no ICU calendar is set up: the CNI plugin
/// stamps an allocation on every ADD and the Foundation calendar cost more than the stamp was worth).
struct UTCTime {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int

    init(secondsSince1970 seconds: Int) {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        year = Int(parts.tm_year) + 1900
        month = Int(parts.tm_mon) + 1
        day = Int(parts.tm_mday)
        hour = Int(parts.tm_hour)
        minute = Int(parts.tm_min)
        second = Int(parts.tm_sec)
    }

    /// `2026-12-03`.
    var date: String { "\(Self.pad(year, 4))-\(Self.pad(month, 2))-\(Self.pad(day, 2))" }
    /// `09:05:07`.
    var clock: String { "\(Self.pad(hour, 2)):\(Self.pad(minute, 2)):\(Self.pad(second, 2))" }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
