//! Every string the console shows, in English and Hindi. A key missing here shows as the key
//! itself (and the test below fails), so no page can show an untranslated string unnoticed.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Hi,
}

impl Lang {
    pub fn parse(s: &str) -> Lang {
        if s == "hi" {
            Lang::Hi
        } else {
            Lang::En
        }
    }
    pub fn code(&self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Hi => "hi",
        }
    }
}

/// (key, English, Hindi)
const STRINGS: &[(&str, &str, &str)] = &[
    ("app", "Sangam console", "संगम कंसोल"),
    ("media", "Photos, recordings and files", "फ़ोटो, रिकॉर्डिंग और फ़ाइलें"),
    ("media_missing", "not received from the phone yet", "फ़ोन से अभी तक नहीं मिली"),
    ("duplicates", "Duplicates", "दोहराव"),
    ("dup_same-name", "same name", "एक ही नाम"),
    ("dup_similar-name", "names sound alike", "नाम मिलते-जुलते हैं"),
    ("dup_name-contained", "one name holds all the words of the other", "एक नाम में दूसरे के सभी शब्द हैं"),
    ("dup_somewhat-similar-name", "names partly alike", "नाम कुछ हद तक मिलते हैं"),
    ("dup_same-phone", "same phone number", "एक ही फ़ोन नंबर"),
    ("dup_same-village", "same village", "एक ही गाँव"),
    ("dup_similar-village", "village names spelled alike", "गाँव के नाम मिलते-जुलते"),
    ("dup_different-village", "different villages", "अलग गाँव"),
    ("dup_age-close", "ages within 2 years", "उम्र 2 साल के भीतर"),
    ("dup_age-differs", "ages differ", "उम्र अलग है"),
    ("no_duplicates", "No likely duplicates in these scopes.", "इन क्षेत्रों में कोई संभावित दोहराव नहीं।"),
    ("score", "Match", "मेल"),
    ("merge_keep_left", "Merge, keep the left one", "मिलाएँ, बायाँ रखें"),
    ("merge_keep_right", "Merge, keep the right one", "मिलाएँ, दायाँ रखें"),
    ("merged", "merged", "मिलाया गया"),
    ("merged_into", "Merged into", "इसमें मिलाया गया:"),
    ("unmerge", "Undo the merge", "मिलान वापस लें"),
    ("attributes", "Details", "विवरण"),
    ("over_time", "Responses over time", "समय के साथ जवाब"),
    ("name", "Name", "नाम"),
    ("type", "Type", "प्रकार"),
    ("date", "Date", "तारीख़"),
    ("nothing_found", "Nothing found.", "कुछ नहीं मिला।"),
    ("actions", "Action items", "कार्य-बिंदु"),
    ("action", "Action", "कार्य"),
    ("owner", "Owner", "ज़िम्मेदार"),
    ("due", "Due", "नियत तारीख़"),
    ("save", "Save", "सहेजें"),
    ("yes", "yes", "हाँ"),
    ("no", "no", "नहीं"),
    ("agenda", "Agenda", "कार्यसूची"),
    ("attendance", "Attendance", "उपस्थिति"),
    ("organisation", "Organisation", "संगठन"),
    ("present", "Present", "उपस्थित"),
    ("minutes", "Minutes", "कार्यवृत्त"),
    ("decisions", "Decisions", "निर्णय"),
    ("meeting", "Meeting", "बैठक"),
    ("venue", "Venue", "स्थान"),
    ("coalition", "Coalition", "गठबंधन"),
    ("include_closed", "include done and dropped", "पूरे और छोड़े गए भी"),
    ("action_open", "open", "खुला"),
    ("action_in-progress", "in progress", "चल रहा है"),
    ("action_done", "done", "पूरा"),
    ("action_dropped", "dropped", "छोड़ा गया"),
    ("forms", "Forms", "फ़ॉर्म"),
    ("version", "Version", "संस्करण"),
    ("title", "Title", "शीर्षक"),
    ("upload_form", "Check or publish an XLSForm", "XLSForm जाँचें या प्रकाशित करें"),
    ("xlsform", "XLSForm (.xlsx, .xls)", "XLSForm (.xlsx, .xls)"),
    ("form_files", "Files the form reads (CSV, XML, GeoJSON)", "फ़ॉर्म जिन फ़ाइलों को पढ़ता है (CSV, XML, GeoJSON)"),
    ("check", "Check", "जाँचें"),
    ("form_problems", "Problems to fix in the form", "फ़ॉर्म में ठीक करने वाली समस्याएँ"),
    ("languages", "Languages", "भाषाएँ"),
    ("form_warnings", "Left aside (not errors)", "छोड़ा गया (त्रुटि नहीं)"),
    ("file_missing", "the form reads this file: add it to the upload", "फ़ॉर्म यह फ़ाइल पढ़ता है: इसे अपलोड में जोड़ें"),
    ("questions", "Questions", "प्रश्न"),
    ("publish", "Publish to devices of this scope", "इस क्षेत्र के उपकरणों पर प्रकाशित करें"),
    ("admins_publish", "Only an admin can publish forms.", "केवल व्यवस्थापक फ़ॉर्म प्रकाशित कर सकते हैं।"),
    ("form_preview", "Form preview", "फ़ॉर्म पूर्वावलोकन"),
    ("exports", "Exports", "निर्यात"),
    ("map", "Map", "नक्शा"),
    ("points", "places", "स्थान"),
    ("no_points", "No answers with a location for this form.", "इस फ़ॉर्म के किसी जवाब में स्थान नहीं है।"),
    ("format", "Format", "प्रारूप"),
    ("include_drafts", "include drafts", "ड्राफ़्ट भी"),
    ("export", "Export", "निर्यात करें"),
    ("export_note", "CSV: one file per repeat (PARENT_KEY/KEY), photos and recordings in a media folder beside it. The file is made in the background; its page shows progress.", "CSV: हर दोहराव समूह की अलग फ़ाइल (PARENT_KEY/KEY), फ़ोटो और रिकॉर्डिंग साथ के media फ़ोल्डर में। फ़ाइल पीछे बनती है; उसके पेज पर प्रगति दिखती है।"),
    ("export_ready", "The export is ready", "निर्यात तैयार है"),
    ("export_password", "Password (optional, 10+ characters)", "पासवर्ड (वैकल्पिक, 10+ अक्षर)"),
    ("export_clear_warning", "Without a password the file holds people's answers in clear: anyone who gets it can read them. With one, the ZIP is encrypted (AES-256); open it with 7-Zip, WinRAR or the Mac's Archive Utility and the password.", "बिना पासवर्ड के फ़ाइल में लोगों के जवाब खुले रहते हैं: जिसके हाथ लगे, वह पढ़ सकता है। पासवर्ड देने पर ZIP एन्क्रिप्ट होती है (AES-256); इसे 7-Zip, WinRAR या Mac के Archive Utility में पासवर्ड से खोलें।"),
    ("records", "records", "रिकॉर्ड"),
    ("media_files", "media files", "मीडिया फ़ाइलें"),
    ("download", "Download", "डाउनलोड करें"),
    ("bundles", "Bundles", "बंडल"),
    ("bundles_note", "For phones the hub's network does not reach: changes carried on a file (USB stick, SD card, Bluetooth share).", "जिन फ़ोनों तक हब का नेटवर्क नहीं पहुँचता उनके लिए: बदलाव एक फ़ाइल में ले जाए जाते हैं (USB स्टिक, SD कार्ड, ब्लूटूथ)।"),
    ("bundle_import", "Import a phone's bundle", "फ़ोन का बंडल आयात करें"),
    ("bundle_export", "A bundle for a phone", "फ़ोन के लिए बंडल"),
    ("no_devices", "No enrolled device of your scopes.", "आपके क्षेत्रों का कोई नामांकित डिवाइस नहीं है।"),
    ("bundle_from", "From device", "किस डिवाइस से"),
    ("bundle_file", "Bundle file", "बंडल फ़ाइल"),
    ("import", "Import", "आयात करें"),
    ("bundle_seal_for", "Sealed for phone", "किस फ़ोन के लिए सील"),
    ("bundle_unsealed", "not sealed", "सील नहीं"),
    ("bundle_seal_note", "A sealed bundle can be read only by that phone, which refuses it if one byte changed. A phone can be chosen once it has synced with this hub.", "सील किया बंडल केवल वही फ़ोन पढ़ सकता है, और एक भी बाइट बदलने पर वह उसे अस्वीकार कर देता है। फ़ोन तभी चुना जा सकता है जब वह इस हब से एक बार सिंक हो चुका हो।"),
    ("bundle_changed", "changed", "बदले"),
    ("bundle_unchanged", "already here", "पहले से यहाँ"),
    ("bundle_pending", "waiting for earlier changes", "पहले के बदलावों की प्रतीक्षा में"),
    ("bundle_refused", "refused", "अस्वीकार"),
    ("format_automerge", "Automerge (every record with its whole history)", "Automerge (हर रिकॉर्ड अपने पूरे इतिहास के साथ)"),
    ("format_minutes", "Meeting minutes (Markdown)", "बैठक का कार्यवृत्त (Markdown)"),
    ("choice_labels", "Choices as", "विकल्प किस रूप में"),
    ("choice_names", "names (as stored)", "नाम (जैसे सहेजे गए)"),
    ("export_form_or_minutes", "A form's responses, or every meeting's minutes (no form needed).", "किसी फ़ॉर्म के उत्तर, या हर बैठक का कार्यवृत्त (फ़ॉर्म की ज़रूरत नहीं)।"),
    ("exporting", "Exporting…", "निर्यात हो रहा है…"),
    ("sign_in", "Sign in", "साइन इन करें"),
    ("user", "User name", "उपयोगकर्ता नाम"),
    ("password", "Password", "पासवर्ड"),
    ("bad_login", "That user name and password do not match.", "यह उपयोगकर्ता नाम और पासवर्ड मेल नहीं खाते।"),
    ("locked", "Too many failed sign-ins. Try again in {} minutes.", "बहुत बार गलत साइन-इन। {} मिनट बाद फिर कोशिश करें।"),
    ("sign_out", "Sign out", "साइन आउट"),
    ("sign_out_all", "Sign out everywhere", "हर जगह से साइन आउट"),
    ("signed_out_all", "Signed out of every browser.", "सभी ब्राउज़र से साइन आउट हो गया।"),
    ("overview", "Overview", "सारांश"),
    ("responses", "Responses", "जवाब"),
    ("review_queue", "Review queue", "समीक्षा कतार"),
    ("conflicts", "Conflicts", "टकराव"),
    ("devices", "Devices", "डिवाइस"),
    ("language", "हिन्दी", "English"),
    ("scope", "Scope", "क्षेत्र"),
    ("all_scopes", "All my scopes", "मेरे सभी क्षेत्र"),
    ("submitted", "Submitted", "जमा किए गए"),
    ("drafts", "Drafts", "मसौदे"),
    ("awaiting_review", "Awaiting review", "समीक्षा बाकी"),
    ("has_issues_n", "With issues", "समस्याओं वाले"),
    ("open_conflicts", "Records with conflicts", "टकराव वाले रिकॉर्ड"),
    ("overdue_actions", "Overdue action items", "समय से पीछे कार्य"),
    ("open_actions", "Open action items", "खुले कार्य"),
    ("subjects", "Households and people", "परिवार और लोग"),
    ("meetings", "Meetings", "बैठकें"),
    ("per_day", "Submissions per day (last 14 days)", "प्रतिदिन जमा (पिछले 14 दिन)"),
    ("per_worker", "Submissions per field worker", "हर फ़ील्ड कार्यकर्ता के जमा"),
    ("per_village", "Submissions per village", "हर गाँव के जमा"),
    ("devices_seen", "Devices: last seen and changes waiting", "डिवाइस: आख़िरी बार और प्रतीक्षा में बदलाव"),
    ("device", "Device", "डिवाइस"),
    ("role", "Role", "भूमिका"),
    ("last_seen", "Last seen", "आख़िरी बार देखा"),
    ("never", "never", "कभी नहीं"),
    ("waiting", "Changes waiting", "प्रतीक्षा में बदलाव"),
    ("revoked", "revoked", "रद्द"),
    ("active", "active", "सक्रिय"),
    ("form", "Form", "फ़ॉर्म"),
    ("any", "any", "कोई भी"),
    ("status", "Status", "स्थिति"),
    ("review", "Review", "समीक्षा"),
    ("worker", "Field worker", "फ़ील्ड कार्यकर्ता"),
    ("village", "Village", "गाँव"),
    ("from", "From", "से"),
    ("to", "To", "तक"),
    ("search", "Search", "खोजें"),
    ("filter", "Filter", "छाँटें"),
    ("updated", "Updated", "अद्यतन"),
    ("subject", "Subject", "विषय"),
    ("id", "ID", "पहचान"),
    ("page_of", "Page {} of {} ({} responses)", "पृष्ठ {} / {} ({} जवाब)"),
    ("prev", "Previous", "पिछला"),
    ("next", "Next", "अगला"),
    ("nothing", "Nothing to show.", "दिखाने को कुछ नहीं।"),
    ("draft", "draft", "मसौदा"),
    ("submitted_s", "submitted", "जमा"),
    ("received", "received", "प्राप्त"),
    ("has-issues", "has issues", "समस्याएँ हैं"),
    ("approved", "approved", "स्वीकृत"),
    ("rejected", "rejected", "अस्वीकृत"),
    ("answers", "Answers", "उत्तर"),
    ("question", "Question", "प्रश्न"),
    ("answer", "Answer", "उत्तर"),
    ("flags", "Validation flags", "जाँच की चेतावनियाँ"),
    ("no_flags", "Nothing flagged.", "कोई चेतावनी नहीं।"),
    ("history", "History", "इतिहास"),
    ("who", "Who", "किसने"),
    ("when", "When", "कब"),
    ("fields", "Fields", "फ़ील्ड"),
    ("comments", "Comments", "टिप्पणियाँ"),
    ("comment", "Comment", "टिप्पणी"),
    ("set_state", "Set review state", "समीक्षा स्थिति बदलें"),
    ("approve", "Approve", "स्वीकार करें"),
    ("mark_issues", "Has issues", "समस्याएँ हैं"),
    ("reject", "Reject", "अस्वीकार करें"),
    ("add_comment", "Add comment", "टिप्पणी जोड़ें"),
    ("no_conflicts", "No conflicting values.", "कोई टकराव नहीं।"),
    ("keep_this", "Keep this value", "यह मान रखें"),
    ("shown_now", "shown now", "अभी दिख रहा"),
    ("by", "by", "द्वारा"),
    ("on_device", "on device", "डिवाइस पर"),
    ("repeat_row", "Row", "पंक्ति"),
    ("not_found", "Not found, or not in your scopes.", "नहीं मिला, या आपके क्षेत्र में नहीं।"),
    ("bad_csrf", "This form has expired. Go back, reload the page and try again.", "यह फ़ॉर्म पुराना हो गया। वापस जाएँ, पेज दोबारा खोलें और फिर कोशिश करें।"),
    ("saved", "Saved.", "सहेजा गया।"),
    ("keys_help", "Keys: j/k move, a approve, i has issues, r reject, c comment, Enter open", "कुंजियाँ: j/k चलें, a स्वीकार, i समस्या, r अस्वीकार, c टिप्पणी, Enter खोलें"),
    ("open", "Open", "खोलें"),
    ("disabled", "The console is off: serve with --tls-cert and --tls-key, or listen on loopback.", "कंसोल बंद है: --tls-cert और --tls-key के साथ चलाएँ, या लूपबैक पर।"),
    ("error", "Something went wrong", "कुछ गड़बड़ हुई"),
    ("conflict_of", "Conflicting values of", "टकराते मान:"),
    ("enrol", "Enrol a device", "डिवाइस जोड़ें"),
    ("enrolled", "Device enrolled", "डिवाइस जुड़ गया"),
    ("hub_url", "Hub address as phones reach it", "फ़ोन से हब का पता"),
    ("scan_this", "Scan this code with the Sangam app on the phone.", "फ़ोन पर संगम ऐप से यह कोड स्कैन करें।"),
    ("token_once", "Its token, shown only this once:", "इसका टोकन, केवल इस बार दिखेगा:"),
    ("revoke", "Revoke", "रद्द करें"),
    ("field-worker", "field worker", "फ़ील्ड कार्यकर्ता"),
    ("coordinator", "coordinator", "समन्वयक"),
    ("admin", "admin", "प्रशासक"),
];

/// The string `key` in `lang`.
/// Whether the table has `key` (for strings looked up by a code that may be new).
pub fn known(key: &str) -> bool {
    STRINGS.iter().any(|(k, _, _)| *k == key)
}

pub fn t(lang: Lang, key: &str) -> &'static str {
    for (k, en, hi) in STRINGS {
        if *k == key {
            return match lang {
                Lang::En => en,
                Lang::Hi => hi,
            };
        }
    }
    debug_assert!(false, "console string '{key}' is missing");
    "?"
}

/// `t` with each `{}` replaced by the next argument.
pub fn tf(lang: Lang, key: &str, args: &[&str]) -> String {
    let mut out = String::new();
    let mut parts = t(lang, key).split("{}");
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, p) in parts.enumerate() {
        out.push_str(args.get(i).copied().unwrap_or(""));
        out.push_str(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_has_both_languages_and_keys_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for (k, en, hi) in STRINGS {
            assert!(seen.insert(*k), "{k} twice");
            assert!(!en.is_empty() && !hi.is_empty(), "{k}");
            assert_eq!(en.matches("{}").count(), hi.matches("{}").count(), "{k}: placeholders differ");
        }
    }
}
