//! WAP-230 Appendix A assigned numbers: well-known content types, header
//! field names, parameters, and push application ids (OMNA registry).

/// Well-known content types (WAP-230 Table 40 and the OMNA registry),
/// indexed by their assigned number.
pub const CONTENT_TYPES: &[&str] = &[
    "*/*",                                       // 0x00
    "text/*",                                    // 0x01
    "text/html",                                 // 0x02
    "text/plain",                                // 0x03
    "text/x-hdml",                               // 0x04
    "text/x-ttml",                               // 0x05
    "text/x-vCalendar",                          // 0x06
    "text/x-vCard",                              // 0x07
    "text/vnd.wap.wml",                          // 0x08
    "text/vnd.wap.wmlscript",                    // 0x09
    "text/vnd.wap.wta-event",                    // 0x0A
    "multipart/*",                               // 0x0B
    "multipart/mixed",                           // 0x0C
    "multipart/form-data",                       // 0x0D
    "multipart/byterantes",                      // 0x0E (sic, as assigned)
    "multipart/alternative",                     // 0x0F
    "application/*",                             // 0x10
    "application/java-vm",                       // 0x11
    "application/x-www-form-urlencoded",         // 0x12
    "application/x-hdmlc",                       // 0x13
    "application/vnd.wap.wmlc",                  // 0x14
    "application/vnd.wap.wmlscriptc",            // 0x15
    "application/vnd.wap.wta-eventc",            // 0x16
    "application/vnd.wap.uaprof",                // 0x17
    "application/vnd.wap.wtls-ca-certificate",   // 0x18
    "application/vnd.wap.wtls-user-certificate", // 0x19
    "application/x-x509-ca-cert",                // 0x1A
    "application/x-x509-user-cert",              // 0x1B
    "image/*",                                   // 0x1C
    "image/gif",                                 // 0x1D
    "image/jpeg",                                // 0x1E
    "image/tiff",                                // 0x1F
    "image/png",                                 // 0x20
    "image/vnd.wap.wbmp",                        // 0x21
    "application/vnd.wap.multipart.*",           // 0x22
    "application/vnd.wap.multipart.mixed",       // 0x23
    "application/vnd.wap.multipart.form-data",   // 0x24
    "application/vnd.wap.multipart.byteranges",  // 0x25
    "application/vnd.wap.multipart.alternative", // 0x26
    "application/xml",                           // 0x27
    "text/xml",                                  // 0x28
    "application/vnd.wap.wbxml",                 // 0x29
    "application/x-x968-cross-cert",             // 0x2A
    "application/x-x968-ca-cert",                // 0x2B
    "application/x-x968-user-cert",              // 0x2C
    "text/vnd.wap.si",                           // 0x2D
    "application/vnd.wap.sic",                   // 0x2E
    "text/vnd.wap.sl",                           // 0x2F
    "application/vnd.wap.slc",                   // 0x30
    "text/vnd.wap.co",                           // 0x31
    "application/vnd.wap.coc",                   // 0x32
    "application/vnd.wap.multipart.related",     // 0x33
    "application/vnd.wap.sia",                   // 0x34
    "text/vnd.wap.connectivity-xml",             // 0x35
    "application/vnd.wap.connectivity-wbxml",    // 0x36
    "application/pkcs7-mime",                    // 0x37
    "application/vnd.wap.hashed-certificate",    // 0x38
    "application/vnd.wap.signed-certificate",    // 0x39
    "application/vnd.wap.cert-response",         // 0x3A
    "application/xhtml+xml",                     // 0x3B
    "application/wml+xml",                       // 0x3C
    "text/css",                                  // 0x3D
    "application/vnd.wap.mms-message",           // 0x3E
    "application/vnd.wap.rollover-certificate",  // 0x3F
    "application/vnd.wap.locc+wbxml",            // 0x40
    "application/vnd.wap.loc+xml",               // 0x41
    "application/vnd.syncml.dm+wbxml",           // 0x42
    "application/vnd.syncml.dm+xml",             // 0x43
    "application/vnd.syncml.notification",       // 0x44
    "application/vnd.wap.xhtml+xml",             // 0x45
    "application/vnd.wv.csp.cir",                // 0x46
    "application/vnd.oma.dd+xml",                // 0x47
    "application/vnd.oma.drm.message",           // 0x48
    "application/vnd.oma.drm.content",           // 0x49
    "application/vnd.oma.drm.rights+xml",        // 0x4A
    "application/vnd.oma.drm.rights+wbxml",      // 0x4B
    "application/vnd.wv.csp+xml",                // 0x4C
    "application/vnd.wv.csp+wbxml",              // 0x4D
    "application/vnd.syncml.ds.notification",    // 0x4E
    "audio/*",                                   // 0x4F
    "video/*",                                   // 0x50
    "application/vnd.oma.dd2+xml",               // 0x51
    "application/mikey",                         // 0x52
    "application/vnd.oma.dcd",                   // 0x53
    "application/vnd.oma.dcdc",                  // 0x54
];

/// Registered content types beyond the short-integer range (OMNA), which
/// travel as Long-integers.
pub const CONTENT_TYPES_EXTENDED: &[(u32, &str)] = &[
    (0x0201, "application/vnd.uplanet.cacheop-wbxml"),
    (0x0202, "application/vnd.uplanet.signal"),
    (0x0203, "application/vnd.uplanet.alert-wbxml"),
    (0x0204, "application/vnd.uplanet.list-wbxml"),
    (0x0205, "application/vnd.uplanet.listcmd-wbxml"),
    (0x0206, "application/vnd.uplanet.channel-wbxml"),
    (0x0207, "application/vnd.uplanet.provisioning-status-uri"),
    (0x0208, "x-wap.multipart/vnd.uplanet.header-set"),
    (0x0209, "application/vnd.uplanet.bearer-choice-wbxml"),
    (0x020A, "application/vnd.phonecom.mmc-wbxml"),
    (0x020B, "application/vnd.nokia.syncset+wbxml"),
    (0x020C, "image/x-up-wpng"),
    (0x0300, "application/iota.mmc-wbxml"),
    (0x0301, "application/iota.mmc-xml"),
    (0x0302, "application/vnd.syncml+xml"),
    (0x0303, "application/vnd.syncml+wbxml"),
    (0x0304, "text/vnd.wap.emn+xml"),
    (0x0305, "text/calendar"),
    (0x0306, "application/vnd.omads-email+xml"),
    (0x0307, "application/vnd.omads-file+xml"),
    (0x0308, "application/vnd.omads-folder+xml"),
    (0x0309, "text/directory;profile=vCard"),
    (0x030A, "application/vnd.wap.emn+wbxml"),
    (0x030B, "application/vnd.nokia.ipdc-purchase-response"),
    (0x030C, "application/vnd.motorola.screen3+xml"),
    (0x030D, "application/vnd.motorola.screen3+gzip"),
    (0x030E, "application/vnd.cmcc.setting+wbxml"),
    (0x030F, "application/vnd.cmcc.bombing+wbxml"),
    (0x0310, "application/vnd.docomo.pf"),
    (0x0311, "application/vnd.docomo.ub"),
    (0x0312, "application/vnd.omaloc-supl-init"),
    (0x0313, "application/vnd.oma.group-usage-list+xml"),
    (0x0314, "application/oma-directory+xml"),
    (0x0315, "application/vnd.docomo.pf2"),
    (0x0316, "application/vnd.oma.drm.roap-trigger+wbxml"),
    (0x0317, "application/vnd.sbm.mid2"),
    (0x0318, "application/vnd.wmf.bootstrap"),
    (0x0319, "application/vnc.cmcc.dcd+xml"),
    (0x031A, "application/vnd.sbm.cid"),
    (0x031B, "application/vnd.oma.bcast.provisioningtrigger"),
];

/// The name of a well-known content type number.
pub fn content_type_name(code: u32) -> Option<&'static str> {
    if let Some(s) = usize::try_from(code)
        .ok()
        .and_then(|i| CONTENT_TYPES.get(i))
    {
        return Some(s);
    }
    CONTENT_TYPES_EXTENDED
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, s)| *s)
}

/// The assigned number of a content type name (case-insensitive).
pub fn content_type_code(name: &str) -> Option<u32> {
    if let Some(i) = CONTENT_TYPES
        .iter()
        .position(|s| s.eq_ignore_ascii_case(name))
    {
        return Some(i as u32);
    }
    CONTENT_TYPES_EXTENDED
        .iter()
        .find(|(_, s)| s.eq_ignore_ascii_case(name))
        .map(|(c, _)| *c)
}

/// Well-known header field names (WAP-230 Table 39), indexed by number.
pub const HEADER_FIELDS: &[&str] = &[
    "Accept",               // 0x00
    "Accept-Charset",       // 0x01
    "Accept-Encoding",      // 0x02
    "Accept-Language",      // 0x03
    "Accept-Ranges",        // 0x04
    "Age",                  // 0x05
    "Allow",                // 0x06
    "Authorization",        // 0x07
    "Cache-Control",        // 0x08
    "Connection",           // 0x09
    "Content-Base",         // 0x0A
    "Content-Encoding",     // 0x0B
    "Content-Language",     // 0x0C
    "Content-Length",       // 0x0D
    "Content-Location",     // 0x0E
    "Content-MD5",          // 0x0F
    "Content-Range",        // 0x10
    "Content-Type",         // 0x11
    "Date",                 // 0x12
    "Etag",                 // 0x13
    "Expires",              // 0x14
    "From",                 // 0x15
    "Host",                 // 0x16
    "If-Modified-Since",    // 0x17
    "If-Match",             // 0x18
    "If-None-Match",        // 0x19
    "If-Range",             // 0x1A
    "If-Unmodified-Since",  // 0x1B
    "Location",             // 0x1C
    "Last-Modified",        // 0x1D
    "Max-Forwards",         // 0x1E
    "Pragma",               // 0x1F
    "Proxy-Authenticate",   // 0x20
    "Proxy-Authorization",  // 0x21
    "Public",               // 0x22
    "Range",                // 0x23
    "Referer",              // 0x24
    "Retry-After",          // 0x25
    "Server",               // 0x26
    "Transfer-Encoding",    // 0x27
    "Upgrade",              // 0x28
    "User-Agent",           // 0x29
    "Vary",                 // 0x2A
    "Via",                  // 0x2B
    "Warning",              // 0x2C
    "WWW-Authenticate",     // 0x2D
    "Content-Disposition",  // 0x2E
    "X-Wap-Application-Id", // 0x2F
    "X-Wap-Content-URI",    // 0x30
    "X-Wap-Initiator-URI",  // 0x31
    "Accept-Application",   // 0x32
    "Bearer-Indication",    // 0x33
    "Push-Flag",            // 0x34
    "Profile",              // 0x35
    "Profile-Diff",         // 0x36
    "Profile-Warning",      // 0x37
    "Expect",               // 0x38
    "TE",                   // 0x39
    "Trailer",              // 0x3A
    "Accept-Charset",       // 0x3B (1.3 encoding)
    "Accept-Encoding",      // 0x3C (1.3 encoding)
    "Cache-Control",        // 0x3D (1.3 encoding)
    "Content-Range",        // 0x3E (1.3 encoding)
    "X-Wap-Tod",            // 0x3F
    "Content-ID",           // 0x40
    "Set-Cookie",           // 0x41
    "Cookie",               // 0x42
    "Encoding-Version",     // 0x43
    "Profile-Warning",      // 0x44 (1.4 encoding)
    "Content-Disposition",  // 0x45 (1.4 encoding)
    "X-WAP-Security",       // 0x46
    "Cache-Control",        // 0x47 (1.4 encoding)
];

/// Well-known header field numbers used by this crate.
pub mod field {
    /// Content-Length.
    pub const CONTENT_LENGTH: u8 = 0x0D;
    /// Content-Location.
    pub const CONTENT_LOCATION: u8 = 0x0E;
    /// Content-Type.
    pub const CONTENT_TYPE: u8 = 0x11;
    /// Date.
    pub const DATE: u8 = 0x12;
    /// Content-Disposition (WSP 1.1–1.3 encoding).
    pub const CONTENT_DISPOSITION: u8 = 0x2E;
    /// X-Wap-Application-Id.
    pub const X_WAP_APPLICATION_ID: u8 = 0x2F;
    /// X-Wap-Content-URI.
    pub const X_WAP_CONTENT_URI: u8 = 0x30;
    /// X-Wap-Initiator-URI.
    pub const X_WAP_INITIATOR_URI: u8 = 0x31;
    /// Push-Flag.
    pub const PUSH_FLAG: u8 = 0x34;
    /// Content-ID.
    pub const CONTENT_ID: u8 = 0x40;
    /// Encoding-Version.
    pub const ENCODING_VERSION: u8 = 0x43;
    /// Content-Disposition (WSP 1.4 encoding).
    pub const CONTENT_DISPOSITION_14: u8 = 0x45;
}

/// The name of a well-known header field number.
pub fn header_field_name(code: u8) -> Option<&'static str> {
    HEADER_FIELDS.get(usize::from(code)).copied()
}

/// The number of a well-known header field (case-insensitive), preferring the
/// oldest encoding where a field has several.
pub fn header_field_code(name: &str) -> Option<u8> {
    HEADER_FIELDS
        .iter()
        .position(|s| s.eq_ignore_ascii_case(name))
        .map(|i| i as u8)
}

/// Well-known parameters (WAP-230 Table 38): number, name, and the grammar of
/// the value.
pub const PARAMETERS: &[(u8, &str, ParamKind)] = &[
    (0x00, "q", ParamKind::QValue),
    (0x01, "charset", ParamKind::Charset),
    (0x02, "level", ParamKind::Version),
    (0x03, "type", ParamKind::Integer),
    (0x05, "name", ParamKind::Text),
    (0x06, "filename", ParamKind::Text),
    (0x07, "differences", ParamKind::FieldName),
    (0x08, "padding", ParamKind::ShortInteger),
    (0x09, "type", ParamKind::ConstrainedMedia),
    (0x0A, "start", ParamKind::Text),
    (0x0B, "start-info", ParamKind::Text),
    (0x0C, "comment", ParamKind::Text),
    (0x0D, "domain", ParamKind::Text),
    (0x0E, "max-age", ParamKind::Integer),
    (0x0F, "path", ParamKind::Text),
    (0x10, "secure", ParamKind::NoValue),
    (0x11, "sec", ParamKind::ShortInteger),
    (0x12, "mac", ParamKind::Text),
    (0x13, "creation-date", ParamKind::Date),
    (0x14, "modification-date", ParamKind::Date),
    (0x15, "read-date", ParamKind::Date),
    (0x16, "size", ParamKind::Integer),
    (0x17, "name", ParamKind::Text),
    (0x18, "filename", ParamKind::Text),
    (0x19, "start", ParamKind::Text),
    (0x1A, "start-info", ParamKind::Text),
    (0x1B, "comment", ParamKind::Text),
    (0x1C, "domain", ParamKind::Text),
    (0x1D, "path", ParamKind::Text),
];

/// The grammar of a well-known parameter's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// Q-value (a uintvar-like encoding).
    QValue,
    /// Well-known-charset (Integer-value or Any-charset).
    Charset,
    /// Version-value.
    Version,
    /// Integer-value.
    Integer,
    /// Short-integer.
    ShortInteger,
    /// Text-string / Text-value.
    Text,
    /// Field-name.
    FieldName,
    /// Constrained-encoding (a media type).
    ConstrainedMedia,
    /// Date-value.
    Date,
    /// No-value.
    NoValue,
}

/// Looks a well-known parameter up by number.
pub fn parameter(code: u8) -> Option<(&'static str, ParamKind)> {
    PARAMETERS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, n, k)| (*n, *k))
}

/// The canonical number for a parameter name when encoding. The WSP 1.2/1.3
/// numbers are used for name, filename and start (every handset decodes
/// those; the 1.4 duplicates are not universally known), and 0x09 for the
/// multipart `type`.
pub fn parameter_code(name: &str) -> Option<(u8, ParamKind)> {
    let lower = name.to_ascii_lowercase();
    let code = match lower.as_str() {
        "q" => 0x00,
        "charset" => 0x01,
        "level" => 0x02,
        "type" => 0x09,
        "name" => 0x05,
        "filename" => 0x06,
        "differences" => 0x07,
        "padding" => 0x08,
        "start" => 0x0A,
        "start-info" => 0x0B,
        "comment" => 0x0C,
        "domain" => 0x0D,
        "max-age" => 0x0E,
        "path" => 0x0F,
        "secure" => 0x10,
        "sec" => 0x11,
        "mac" => 0x12,
        "creation-date" => 0x13,
        "modification-date" => 0x14,
        "read-date" => 0x15,
        "size" => 0x16,
        _ => return None,
    };
    parameter(code).map(|(_, k)| (code, k))
}

/// Push application ids (OMNA "Push Application ID" registry), by number.
pub const APPLICATION_IDS: &[(u32, &str)] = &[
    (0x00, "x-wap-application:*"),
    (0x01, "x-wap-application:push.sia"),
    (0x02, "x-wap-application:wml.ua"),
    (0x03, "x-wap-application:wta.ua"),
    (0x04, "x-wap-application:mms.ua"),
    (0x05, "x-wap-application:push.syncml"),
    (0x06, "x-wap-application:loc.ua"),
    (0x07, "x-wap-application:syncml.dm"),
    (0x08, "x-wap-application:drm.ua"),
    (0x09, "x-wap-application:emn.ua"),
    (0x0A, "x-wap-application:wv.ua"),
    (0x1A, "x-wap-microsoft:localcontent.ua"),
    (0x1B, "x-wap-microsoft:IMclient.ua"),
    (0x1C, "x-wap-docomo:imode.mail.ua"),
    (0x1D, "x-wap-docomo:imode.mr.ua"),
    (0x1E, "x-wap-docomo:imode.mf.ua"),
    (0x1F, "x-motorola:location.ua"),
    (0x20, "x-motorola:now.ua"),
    (0x21, "x-motorola:otaprov.ua"),
    (0x22, "x-motorola:browser.ua"),
    (0x23, "x-motorola:splash.ua"),
    (0x25, "x-wap-nai:mvsw.command"),
    (0x30, "x-wap-openwave:iota.ua"),
    (0x9000, "x-wap-docomo:imode.mail2.ua"),
    (0x9001, "x-oma-nec:otaprov.ua"),
    (0x9002, "x-oma-nokia:call.ua"),
    (0x9003, "x-oma-coremobility:sqa.ua"),
];

/// The name of a push application id number.
pub fn application_id_name(code: u32) -> Option<&'static str> {
    APPLICATION_IDS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, s)| *s)
}

/// The number of a push application id (case-insensitive).
pub fn application_id_code(name: &str) -> Option<u32> {
    APPLICATION_IDS
        .iter()
        .find(|(_, s)| s.eq_ignore_ascii_case(name))
        .map(|(c, _)| *c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors() {
        assert_eq!(
            content_type_name(0x3E),
            Some("application/vnd.wap.mms-message")
        );
        assert_eq!(
            content_type_name(0x33),
            Some("application/vnd.wap.multipart.related")
        );
        assert_eq!(
            content_type_name(0x23),
            Some("application/vnd.wap.multipart.mixed")
        );
        assert_eq!(
            content_type_name(0x26),
            Some("application/vnd.wap.multipart.alternative")
        );
        assert_eq!(content_type_name(0x1E), Some("image/jpeg"));
        assert_eq!(content_type_name(0x2E), Some("application/vnd.wap.sic"));
        assert_eq!(content_type_code("IMAGE/JPEG"), Some(0x1E));
        assert_eq!(content_type_code("application/smil"), None);
        assert_eq!(header_field_name(0x2F), Some("X-Wap-Application-Id"));
        assert_eq!(header_field_name(0x43), Some("Encoding-Version"));
        assert_eq!(header_field_code("content-id"), Some(0x40));
        assert_eq!(header_field_code("Content-Disposition"), Some(0x2E));
        assert_eq!(application_id_name(4), Some("x-wap-application:mms.ua"));
        assert_eq!(parameter_code("Start"), Some((0x0A, ParamKind::Text)));
        assert_eq!(parameter(0x89), None);
        assert_eq!(parameter(0x09).unwrap().0, "type");
        assert_eq!(CONTENT_TYPES.len(), 0x55);
        assert_eq!(HEADER_FIELDS.len(), 0x48);
    }
}
