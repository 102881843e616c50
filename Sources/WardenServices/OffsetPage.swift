// Paging for list calls whose results are computed whole: the token is the offset of the next page (base64).
import Foundation
import WardenCore

enum OffsetPage {
    /// One page of `all` and the token of the next (nil at the end); a token that is not one of ours is `invalid`.
    static func slice<T>(_ all: [T], limit: Int, token: String?, invalid: @autoclosure () -> AWSError) throws(AWSError) -> ([T], String?) {
        var start = 0
        if let token {
            guard let raw = Data(base64Encoded: token), let i = Int(String(decoding: raw, as: UTF8.self)), i >= 0 else { throw invalid() }
            start = i
        }
        let page = Array(all.dropFirst(start).prefix(limit))
        let end = start + page.count
        return (page, end < all.count ? Data(String(end).utf8).base64EncodedString() : nil)
    }
}
