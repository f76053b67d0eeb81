//! The typed form definition: what an XLSForm says, checked and without spreadsheet details.
//!
//! A [`FormDefinition`] is produced by [`crate::forms::xlsform`], stored as JSON in a `form`
//! record ([`crate::Store::publish_form`]) and read back by every phone and hub, which compute
//! the live state of a response from it ([`crate::forms::state`]). Expressions (`relevant`,
//! `constraint`, …) are kept as their source text; [`crate::forms::expr`] parses them.
//!
//! Question names are unique among the items of one group or repeat (XLSForm's rule). A
//! name used once in the form keys its answers; a name used in several groups is keyed by
//! its path from the top (`inputs/contact/_id`) in the live state and in responses. A
//! repeat's rows hold the answers of the questions inside it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Text in several languages: language name (`Hindi (hi)`, or `default` when the form has no
/// language columns) → text.
pub type Translated = BTreeMap<String, String>;

/// The language key used for unlabelled columns when a form declares no `default_language`.
pub const DEFAULT_LANGUAGE: &str = "default";

/// One published version of a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormDefinition {
    pub form_id: String,
    pub version: String,
    pub title: String,
    /// The language that unlabelled `label`/`hint` columns are in.
    pub default_language: String,
    /// Every language that appears in the form, the default first.
    pub languages: Vec<String>,
    pub items: Vec<Item>,
    /// Choice lists by list name.
    pub choice_lists: BTreeMap<String, ChoiceList>,
    /// Settings that shape how responses are shown.
    #[serde(default, skip_serializing_if = "FormSettings::is_empty")]
    pub settings: FormSettings,
}

/// Settings of the settings sheet that Sangam keeps.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FormSettings {
    /// `instance_name`: an expression over the answers naming a response in lists
    /// ([`crate::forms::LiveForm::instance_name`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_name: Option<String>,
    /// `style`: how the form is laid out (`pages`, `theme-grid`, …), for the renderer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// The `entities` sheet: the entity lists (ODK's datasets) a submitted response creates
    /// or updates entities of, with the answers of the questions whose `save_to` names a
    /// property ([`Question::save_to`]). The store carries them out; the form only declares.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entities: Vec<EntityDeclaration>,
}

impl FormSettings {
    pub fn is_empty(&self) -> bool {
        self.instance_name.is_none() && self.style.is_none() && self.entities.is_empty()
    }
}

/// One row of the `entities` sheet (ODK entities spec 2024.1, as pyxform reads it).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EntityDeclaration {
    /// `list_name`: the entity list (dataset) the entity belongs to.
    pub dataset: String,
    /// `label`: an expression giving the entity's label (required when it creates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `create_if`: an expression; `None` with no `update_if` means "always create".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_if: Option<String>,
    /// `update_if`: an expression; an update needs `entity_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_if: Option<String>,
    /// `entity_id`: an expression naming the entity to update (ODK writes `${existing}`);
    /// a new entity gets a fresh uuid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
}

impl EntityDeclaration {
    /// Whether a response may create an entity: `create_if`, or no condition and no
    /// `entity_id` (an `entity_id` alone updates).
    pub fn may_create(&self) -> bool {
        self.create_if.is_some() || (self.update_if.is_none() && self.entity_id.is_none())
    }
}

/// One entry of the survey tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum Item {
    Group(Group),
    Repeat(Repeat),
    Question(Question),
}

/// A group of items shown (or skipped) together.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub label: Translated,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appearance: Option<String>,
    pub items: Vec<Item>,
}

/// A group answered once per row (household members, enterprises, visits).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Repeat {
    pub name: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub label: Translated,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<String>,
    /// How many rows are expected: a number or an expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_count: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appearance: Option<String>,
    pub items: Vec<Item>,
}

/// The kind of answer a question takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    Text,
    Integer,
    Decimal,
    SelectOne,
    SelectMultiple,
    Date,
    Time,
    Datetime,
    Geopoint,
    Note,
    Calculate,
    Acknowledge,
    /// A photo: the answer is its stored file's name.
    Image,
    /// Media answered with a stored file: the answer is the file's name
    /// (`Store::attach_media`).
    Audio,
    Video,
    File,
    /// A value set by calculation or default, never shown (CHT's `hidden`).
    Hidden,
    /// A number picked on a scale (`parameters`: start, end, step).
    Range,
    /// The choices put in order: the answer is every choice name, space-separated.
    Rank,
    Geotrace,
    Geoshape,
    Barcode,
    /// ODK metadata, filled from the clock, the device and the user
    /// ([`crate::forms::LiveForm::fill_metadata`]), never asked.
    Start,
    End,
    Today,
    DeviceId,
    PhoneNumber,
    Username,
    Email,
    SubscriberId,
    SimSerial,
    /// ODK's audit log of the session: a file, kept aside like media.
    Audit,
    /// Where the phone was when the form was opened (`start-geopoint`) or in the
    /// background (`background-geopoint`): filled from the device's location.
    StartGeopoint,
    BackgroundGeopoint,
    /// A secondary instance the form reads (`xml-external`, `csv-external`): takes no answer.
    XmlExternal,
    CsvExternal,
}

impl QuestionType {
    pub fn as_str(&self) -> &'static str {
        match self {
            QuestionType::Text => "text",
            QuestionType::Integer => "integer",
            QuestionType::Decimal => "decimal",
            QuestionType::SelectOne => "select_one",
            QuestionType::SelectMultiple => "select_multiple",
            QuestionType::Date => "date",
            QuestionType::Time => "time",
            QuestionType::Datetime => "datetime",
            QuestionType::Geopoint => "geopoint",
            QuestionType::Note => "note",
            QuestionType::Calculate => "calculate",
            QuestionType::Acknowledge => "acknowledge",
            QuestionType::Image => "image",
            QuestionType::Audio => "audio",
            QuestionType::Video => "video",
            QuestionType::File => "file",
            QuestionType::Hidden => "hidden",
            QuestionType::Range => "range",
            QuestionType::Rank => "rank",
            QuestionType::Geotrace => "geotrace",
            QuestionType::Geoshape => "geoshape",
            QuestionType::Barcode => "barcode",
            QuestionType::Start => "start",
            QuestionType::End => "end",
            QuestionType::Today => "today",
            QuestionType::DeviceId => "deviceid",
            QuestionType::PhoneNumber => "phonenumber",
            QuestionType::Username => "username",
            QuestionType::Email => "email",
            QuestionType::SubscriberId => "subscriberid",
            QuestionType::SimSerial => "simserial",
            QuestionType::Audit => "audit",
            QuestionType::StartGeopoint => "start-geopoint",
            QuestionType::BackgroundGeopoint => "background-geopoint",
            QuestionType::XmlExternal => "xml-external",
            QuestionType::CsvExternal => "csv-external",
        }
    }

    /// Metadata that the app fills from the clock, the device and the user: never asked.
    pub fn is_metadata(&self) -> bool {
        use QuestionType::*;
        matches!(
            self,
            Start | End | Today | DeviceId | PhoneNumber | Username | Email | SubscriberId | SimSerial | Audit | StartGeopoint
                | BackgroundGeopoint
        )
    }

    /// Media: the answer is a stored file's name (`crate::media::MediaName`).
    pub fn is_media(&self) -> bool {
        matches!(self, QuestionType::Image | QuestionType::Audio | QuestionType::Video | QuestionType::File | QuestionType::Audit)
    }

    /// Whether a person types or picks an answer (notes, calculations, hidden values,
    /// secondary instances and metadata take none).
    pub fn takes_answer(&self) -> bool {
        !matches!(self, QuestionType::Note | QuestionType::Calculate | QuestionType::Hidden | QuestionType::XmlExternal | QuestionType::CsvExternal)
            && !self.is_metadata()
    }

    /// Whether the value is computed (by `calculation`) rather than answered.
    pub fn is_computed(&self) -> bool {
        matches!(self, QuestionType::Calculate | QuestionType::Hidden)
    }

    /// Whether the question picks from a choice list (`rank` puts the list in order).
    pub fn is_select(&self) -> bool {
        matches!(self, QuestionType::SelectOne | QuestionType::SelectMultiple | QuestionType::Rank)
    }
}

/// One question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// The choice list of a select question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_name: Option<String>,
    /// `select_one list or_other`: an `other` choice and a `<name>_other` text question follow.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub or_other: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub label: Translated,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hint: Translated,
    /// An expression; `yes`/`true` in the sheet become `true()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub required_message: Translated,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub constraint_message: Translated,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calculation: Option<String>,
    /// The answer a new response (or a new repeat row) starts with: a literal as the sheet
    /// wrote it, or an expression (ODK's dynamic default, [`Question::default_is_dynamic`])
    /// evaluated once when the response starts or the row is added. `${last-saved#q}` reads
    /// the last response saved with the form ([`crate::forms::LiveForm::set_last_saved`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice_filter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appearance: Option<String>,
    /// An expression; `yes`/`true` in the sheet become `true()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<String>,
    /// The `parameters` column as written (`start=0 end=10 step=1` for a range,
    /// `randomize=true` for a select).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<String>,
    /// `select_one_from_file features.csv`: the choices are the items of the form's
    /// attachment named by `list_name` (a CSV, XML or GeoJSON file), which the app supplies
    /// ([`crate::forms::LiveForm::set_attachment`]); the choices sheet has no such list.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub choices_from_file: bool,
    /// `trigger`: the questions (`${a}`, several separated by spaces or commas) whose change
    /// sets this question's value: to its calculation when it has one, else to empty (ODK's
    /// `setvalue` on `xforms-value-changed`). A question with a trigger is not recalculated
    /// otherwise, and stays editable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    /// `save_to`: the entity property this answer is saved to
    /// ([`FormSettings::entities`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub save_to: Option<String>,
}

impl Question {
    /// The `max-pixels=N` parameter of a photo question: its longest side once downscaled.
    pub fn max_pixels(&self) -> Option<u32> {
        self.parameters
            .as_deref()?
            .split(|c: char| c.is_whitespace() || c == ';' || c == ',')
            .find_map(|kv| kv.trim().strip_prefix("max-pixels=").and_then(|v| v.trim().parse().ok()))
            .filter(|n| *n > 0)
    }

    /// Whether `default` is an expression rather than a literal value (pyxform's rule,
    /// simplified: a reference, a function call or a path).
    pub fn default_is_dynamic(&self) -> bool {
        self.default.as_deref().map(default_is_dynamic).unwrap_or(false)
    }

    /// A question of `kind` with nothing else set.
    pub fn new(name: &str, kind: QuestionType) -> Question {
        Question {
            name: name.into(),
            kind,
            list_name: None,
            or_other: false,
            label: Translated::new(),
            hint: Translated::new(),
            required: None,
            required_message: Translated::new(),
            relevant: None,
            constraint: None,
            constraint_message: Translated::new(),
            calculation: None,
            default: None,
            choice_filter: None,
            appearance: None,
            read_only: None,
            parameters: None,
            choices_from_file: false,
            trigger: None,
            save_to: None,
        }
    }
}

/// Whether a `default` cell holds an expression (ODK's dynamic default).
pub fn default_is_dynamic(d: &str) -> bool {
    let d = d.trim();
    d.contains("${") || d.contains('(') || d.starts_with('/') || d.starts_with("../") || d.starts_with("./")
}

/// A named list of choices for select questions.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ChoiceList {
    pub choices: Vec<Choice>,
}

/// One choice.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Choice {
    pub name: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub label: Translated,
    /// Further columns of the choices sheet (used by `choice_filter`, e.g. `district`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
}

/// Where a question sits: the repeat it is answered in (if any) and its enclosing groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub repeat: Option<String>,
    pub groups: Vec<String>,
}

/// Language names forms write without a code, by their code (in English and in their own
/// script): the languages of the programmes this serves first.
const LANGUAGE_NAMES: &[(&str, &[&str])] = &[
    ("en", &["english"]),
    ("hi", &["hindi", "हिन्दी", "हिंदी"]),
    ("bn", &["bengali", "bangla", "বাংলা"]),
    ("mr", &["marathi", "मराठी"]),
    ("gu", &["gujarati", "ગુજરાતી"]),
    ("pa", &["punjabi", "ਪੰਜਾਬੀ"]),
    ("or", &["odia", "oriya", "ଓଡ଼ିଆ"]),
    ("ta", &["tamil", "தமிழ்"]),
    ("te", &["telugu", "తెలుగు"]),
    ("kn", &["kannada", "ಕನ್ನಡ"]),
    ("ml", &["malayalam", "മലയാളം"]),
    ("ur", &["urdu", "اردو"]),
    ("as", &["assamese", "অসমীয়া"]),
    ("ne", &["nepali", "नेपाली"]),
];

/// A language's code from how a form or an app names it: `Hindi (hi)` → `hi`, `hi` → `hi`,
/// `हिन्दी` → `hi`; `None` when it names no code we know.
fn language_code(name: &str) -> Option<String> {
    let name = name.trim();
    if let (Some(open), true) = (name.rfind('('), name.ends_with(')')) {
        let code = name[open + 1..name.len() - 1].trim();
        if !code.is_empty() {
            return Some(code.to_lowercase());
        }
    }
    let lower = name.to_lowercase();
    if (2..=3).contains(&lower.len()) && lower.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Some(lower);
    }
    LANGUAGE_NAMES.iter().find(|(_, names)| names.contains(&lower.as_str())).map(|(code, _)| code.to_string())
}

/// A language name without its code, for comparing: `Hindi (hi)` → `hindi`.
fn language_plain(name: &str) -> String {
    let name = name.trim();
    match name.rfind('(') {
        Some(open) if name.ends_with(')') => name[..open].trim().to_lowercase(),
        _ => name.to_lowercase(),
    }
}

impl FormDefinition {
    /// The form's own name for the language `asked` names: the same name; else the same
    /// language code (`hi`, `Hindi (hi)`, `हिन्दी` and a column `label::Hindi` all name one
    /// language); else the same name before the code, case aside. An app asks in its own
    /// language's name and each form answers in the columns it has.
    pub fn language_named(&self, asked: &str) -> Option<&str> {
        if let Some(l) = self.languages.iter().find(|l| *l == asked) {
            return Some(l);
        }
        if let Some(code) = language_code(asked) {
            if let Some(l) = self.languages.iter().find(|l| language_code(l).as_deref() == Some(code.as_str())) {
                return Some(l);
            }
        }
        let plain = language_plain(asked);
        self.languages.iter().find(|l| language_plain(l) == plain).map(String::as_str)
    }

    /// Every question, depth first, with where it sits.
    pub fn questions(&self) -> Vec<(&Question, Placement)> {
        let mut out = Vec::new();
        walk(&self.items, None, &mut Vec::new(), &mut out);
        out
    }

    /// The key each question's answer is kept under, in [`FormDefinition::questions`] order:
    /// its name, or, when the name is used more than once in the form (XLSForm wants names
    /// unique only among siblings), its path from the top through every group and repeat
    /// (`visit/name`), as the live state and the stored response key it.
    pub fn answer_keys(&self) -> Vec<String> {
        fn go(items: &[Item], prefix: &str, all: &mut Vec<(String, String, bool)>) {
            for it in items {
                let (name, sub, question) = match it {
                    Item::Question(q) => (&q.name, None, true),
                    Item::Group(g) => (&g.name, Some(&g.items), false),
                    Item::Repeat(r) => (&r.name, Some(&r.items), false),
                };
                let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
                all.push((name.clone(), path.clone(), question));
                if let Some(items) = sub {
                    go(items, &path, all);
                }
            }
        }
        let mut all = Vec::new();
        go(&self.items, "", &mut all);
        let mut count: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (n, _, _) in &all {
            *count.entry(n.as_str()).or_default() += 1;
        }
        all.iter().filter(|(_, _, q)| *q).map(|(n, p, _)| if count[n.as_str()] > 1 { p.clone() } else { n.clone() }).collect()
    }

    /// The question called `name`, with where it sits.
    pub fn question(&self, name: &str) -> Option<(&Question, Placement)> {
        self.questions().into_iter().find(|(q, _)| q.name == name)
    }

    /// Every repeat, depth first.
    pub fn repeats(&self) -> Vec<&Repeat> {
        fn go<'a>(items: &'a [Item], out: &mut Vec<&'a Repeat>) {
            for it in items {
                match it {
                    Item::Group(g) => go(&g.items, out),
                    Item::Repeat(r) => {
                        out.push(r);
                        go(&r.items, out)
                    }
                    Item::Question(_) => {}
                }
            }
        }
        let mut out = Vec::new();
        go(&self.items, &mut out);
        out
    }

    /// The text in `lang`, else in the default language, else any.
    pub fn text<'a>(&self, t: &'a Translated, lang: &str) -> Option<&'a str> {
        t.get(lang)
            .or_else(|| t.get(&self.default_language))
            .or_else(|| t.values().next())
            .map(String::as_str)
    }

    /// The definition as JSON (what a `form` record stores).
    pub fn to_json(&self) -> crate::Result<String> {
        Ok(serde_json::to_string(self)?)
    }

    /// Reads a definition stored by [`FormDefinition::to_json`].
    pub fn from_json(s: &str) -> crate::Result<FormDefinition> {
        Ok(serde_json::from_str(s)?)
    }
}

fn walk<'a>(
    items: &'a [Item],
    repeat: Option<&str>,
    groups: &mut Vec<String>,
    out: &mut Vec<(&'a Question, Placement)>,
) {
    for it in items {
        match it {
            Item::Question(q) => out.push((q, Placement { repeat: repeat.map(str::to_string), groups: groups.clone() })),
            Item::Group(g) => {
                groups.push(g.name.clone());
                walk(&g.items, repeat, groups, out);
                groups.pop();
            }
            Item::Repeat(r) => walk(&r.items, Some(&r.name), groups, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> FormDefinition {
        let mut age = Question::new("age", QuestionType::Integer);
        age.label.insert("English (en)".into(), "Age".into());
        age.label.insert("Hindi (hi)".into(), "उम्र".into());
        FormDefinition {
            form_id: "hh".into(),
            version: "1".into(),
            title: "Household".into(),
            default_language: "English (en)".into(),
            languages: vec!["English (en)".into(), "Hindi (hi)".into()],
            items: vec![
                Item::Question(Question::new("village", QuestionType::Text)),
                Item::Repeat(Repeat {
                    name: "members".into(),
                    items: vec![Item::Group(Group { name: "basics".into(), items: vec![Item::Question(age)], ..Default::default() })],
                    ..Default::default()
                }),
            ],
            choice_lists: BTreeMap::new(),
            settings: FormSettings::default(),
        }
    }

    #[test]
    fn questions_know_their_repeat_and_groups() {
        let f = sample();
        let (q, p) = f.question("age").expect("age exists");
        assert_eq!(q.kind, QuestionType::Integer);
        assert_eq!(p.repeat.as_deref(), Some("members"));
        assert_eq!(p.groups, vec!["basics".to_string()]);
        assert_eq!(f.question("village").map(|(_, p)| p.repeat), Some(None));
        assert_eq!(f.repeats().len(), 1);
    }

    #[test]
    fn json_round_trips() {
        let f = sample();
        let back = FormDefinition::from_json(&f.to_json().unwrap()).unwrap();
        assert_eq!(back, f);
    }

    #[test]
    fn text_falls_back_to_the_default_language() {
        let f = sample();
        let (q, _) = f.question("age").unwrap();
        assert_eq!(f.text(&q.label, "Hindi (hi)"), Some("उम्र"));
        assert_eq!(f.text(&q.label, "Marathi (mr)"), Some("Age"));
    }
}
