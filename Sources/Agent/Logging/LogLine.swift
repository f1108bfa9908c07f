import Glibc
import Logging

/// The rendering of one log line; see ``AgentLog`` for the shapes.
enum LogLine {
    static func render(
        level: Logger.Level, message: String, fields: [(String, String)], settings: AgentLog.Settings,
        time: timespec
    ) -> String {
        var line = settings.journald ? "<\(level.syslogPriority)>" : ""
        switch settings.format {
        case .text:
            if !settings.journald {
                line += Timestamp.rfc3339(time) + " "
                // Names are padded to line messages up; the longest, "critical", still gets its space.
                line += level.name.rightPadded(to: 7) + " "
            }
            line += escapeControl(message)
            for (key, value) in fields {
                line += " " + key + "=" + textValue(value)
            }
        case .json:
            line += "{\"time\":" + JSONText.string(Timestamp.rfc3339(time))
            line += ",\"level\":" + JSONText.string(level.name)
            line += ",\"msg\":" + JSONText.string(message)
            for (key, value) in fields {
                // A field never hides the line's own keys.
                let name = ["time", "level", "msg"].contains(key) ? "field." + key : key
                line += "," + JSONText.string(name) + ":" + JSONText.string(value)
            }
            line += "}"
        }
        return line + "\n"
    }

    /// A value as written after `key=`: bare when it has no space, quote, `=` or control character, else
    /// quoted with those escaped.
    static func textValue(_ value: String) -> String {
        let plain =
            !value.isEmpty
            && value.unicodeScalars.allSatisfy { $0.value > 0x20 && $0 != "\"" && $0 != "=" && $0.value != 0x7f }
        if plain { return value }
        return "\"" + escapeControl(value).replacing("\"", with: "\\\"") + "\""
    }

    /// Newlines and other control characters as escapes, so one message stays one line.
    static func escapeControl(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f:
                result += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

/// JSON string literals, written by hand so that a log line costs no encoder.
enum JSONText {
    static func string(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                result += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// RFC 3339 timestamps in UTC with milliseconds: `2025-03-01T12:00:00.123Z`.
enum Timestamp {
    static func rfc3339(_ time: timespec) -> String {
        var seconds = time_t(time.tv_sec)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let milliseconds = Int(time.tv_nsec) / 1_000_000
        return String(Int(parts.tm_year) + 1900).leftPadded(to: 4) + "-" + two(Int(parts.tm_mon) + 1) + "-"
            + two(Int(parts.tm_mday)) + "T" + two(Int(parts.tm_hour)) + ":" + two(Int(parts.tm_min)) + ":"
            + two(Int(parts.tm_sec)) + "." + String(milliseconds).leftPadded(to: 3) + "Z"
    }

    private static func two(_ value: Int) -> String { String(value).leftPadded(to: 2) }
}

extension String {
    /// The string with zeros in front up to `width` characters.
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }

    /// The string with spaces after it up to `width` characters.
    func rightPadded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
