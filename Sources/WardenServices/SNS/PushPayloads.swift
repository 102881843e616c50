// What SNS sends each push service: the platform's own message from a MessageStructure=json publish, or the plain
// (default) text wrapped as SNS wraps it, plus the AWS.SNS.MOBILE.* message attributes mapped to the service's
// headers and fields.
import Foundation
import WardenAPI
import WardenCore

/// The sealed body of a push copy: the text chosen at publish time, whether it is the platform's own payload, and
/// when it was published (for the delivery status log's dwell time).
struct PushBody: Codable, Sendable {
    var text: String
    var raw: Bool
    var publishedAt: Int64
}

enum PushPayload {
    /// The text for one platform: its key of a JSON structure (the platform's own payload), else `default`, else the
    /// message itself.
    static func select(platform: String, perProtocol: [String: String], message: String) -> (text: String, raw: Bool) {
        if let own = perProtocol[platform] { return (own, true) }
        return (perProtocol["default"] ?? message, false)
    }

    /// The APNs payload: the platform's own JSON as given, or `{"aps":{"alert":TEXT}}` for plain text (SNS's wrapping).
    static func apns(_ body: PushBody) -> [UInt8] {
        if body.raw { return Array(body.text.utf8) }
        return JSONWriter.write(.object([("aps", .object([("alert", .string(body.text))]))]))
    }

    /// The apns-push-type SNS infers when none is given: voip for VoIP applications; background for a payload whose
    /// `aps` has content-available and nothing to show (alert, badge, sound); alert otherwise.
    static func apnsPushType(platform: String, payload: [UInt8]) -> String {
        if platform.hasPrefix("APNS_VOIP") { return "voip" }
        guard let aps = (try? JSONParser.parse(payload))?["aps"] else { return "alert" }
        let shows = ["alert", "badge", "sound"].contains { aps[$0] != nil }
        if !shows, let available = aps["content-available"], available == .number("1") || available == .bool(true) { return "background" }
        return "alert"
    }

    /// The legacy FCM/GCM payload: the platform's own JSON, or `{"data":{"default":TEXT}}` for plain text (SNS's
    /// wrapping, as apps receiving SNS pushes see it).
    static func legacy(_ body: PushBody) -> JSONValue {
        if body.raw, case .object? = try? JSONParser.parse(Array(body.text.utf8)), let doc = try? JSONParser.parse(Array(body.text.utf8)) {
            return doc
        }
        return .object([("data", .object([("default", .string(body.text))]))])
    }

    /// The FCM HTTP v1 request body for one device: `{"fcmV1Message": {...}}` payloads are sent as given (with the
    /// token); legacy payloads are mapped (data, notification, collapse_key, priority, time_to_live → android.*).
    /// `ttl`: AWS.SNS.MOBILE.FCM.TTL in seconds.
    static func fcmV1(_ body: PushBody, token: String, ttl: String?) -> [UInt8] {
        let legacy = legacy(body)
        if case .object(var v1)? = legacy["fcmV1Message"] {
            var message = v1.first { $0.0 == "message" }?.1 ?? .object([])
            message = setting(message, "token", .string(token))
            if let ttl { message = setting(message, "android", setting(message["android"] ?? .object([]), "ttl", .string("\(ttl)s"))) }
            v1.removeAll { $0.0 == "message" }
            v1.append(("message", message))
            return JSONWriter.write(.object(v1))
        }
        var message: [(String, JSONValue)] = [("token", .string(token))]
        if case .object(let data)? = legacy["data"] {
            // FCM v1 data values are strings; other JSON values are sent as their JSON text.
            message.append(("data", .object(data.map { ($0.0, $0.1.stringValue.map(JSONValue.string) ?? .string(String(decoding: JSONWriter.write($0.1), as: UTF8.self))) })))
        }
        var android: [(String, JSONValue)] = []
        if case .object(let n)? = legacy["notification"] {
            let common = n.filter { ["title", "body", "image"].contains($0.0) }
            if !common.isEmpty { message.append(("notification", .object(common))) }
            let rest = n.filter { !["title", "body", "image"].contains($0.0) }
            if !rest.isEmpty { android.append(("notification", .object(rest))) }
        }
        if let key = legacy["collapse_key"]?.stringValue { android.append(("collapse_key", .string(key))) }
        if let priority = legacy["priority"]?.stringValue { android.append(("priority", .string(priority == "high" ? "high" : "normal"))) }
        if let ttl = ttl ?? legacy["time_to_live"].flatMap(numberText) { android.append(("ttl", .string("\(ttl)s"))) }
        if !android.isEmpty { message.append(("android", .object(android))) }
        return JSONWriter.write(.object([("message", .object(message))]))
    }

    /// The legacy FCM send body (`to` the token).
    static func fcmLegacy(_ body: PushBody, token: String, ttl: String?) -> [UInt8] {
        var doc = setting(legacy(body), "to", .string(token))
        if let ttl, let n = Int(ttl) { doc = setting(doc, "time_to_live", .int(n)) }
        return JSONWriter.write(doc)
    }

    static func numberText(_ v: JSONValue) -> String? {
        if case .number(let s) = v { return s }
        return v.stringValue
    }

    /// `object` with `key` set to `value` (replaced in place, or appended).
    static func setting(_ object: JSONValue, _ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var members) = object else { return .object([(key, value)]) }
        if let i = members.firstIndex(where: { $0.0 == key }) { members[i].1 = value } else { members.append((key, value)) }
        return .object(members)
    }

    /// A push message attribute for the platform: `AWS.SNS.MOBILE.<PLATFORM>.<NAME>`, for APNs platforms falling back
    /// to `AWS.SNS.MOBILE.APNS.<NAME>`, for GCM to the newer `AWS.SNS.MOBILE.FCM.<NAME>`.
    static func attribute(_ attributes: [StoredAttribute], platform: String, _ name: String) -> String? {
        var prefixes = [platform]
        if platform.hasPrefix("APNS") && platform != "APNS" { prefixes.append("APNS") }
        if platform == "GCM" { prefixes.insert("FCM", at: 0) }
        for p in prefixes {
            if let v = attributes.first(where: { $0.name == "AWS.SNS.MOBILE.\(p).\(name)" })?.string { return v }
        }
        return nil
    }
}
