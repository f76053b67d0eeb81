//! Names compared across scripts and spellings: a small Devanagari → Latin transliteration and
//! a phonetic key, so that सुनीता देवी, Sunita Devi and Suneeta Devee compare equal.
//!
//! What it does, honestly:
//! - Transliterates Devanagari letter by letter (Hunterian-like: श/ष → sh, छ → chh, nukta
//!   forms ज़ → z, फ़ → f), with the inherent vowel `a` after consonants, killed by the virama.
//! - Deletes the Hindi schwa as speakers (and Latin spellings) do: word-final (राम → ram, but
//!   not after a conjunct: मित्र → mitra) and medially between single consonants flanked by
//!   vowels, right to left (कमला → kamla). Other languages written in Devanagari (Marathi,
//!   Nepali) keep more schwas; the similarity score absorbs that, and it is a rule of thumb.
//! - Folds what Latin spellings of Indian names vary on: long vowels (ee/ii → i, oo/uu → u,
//!   aa → a), aspiration (kh → k, bh → b, th → t …), sh/s, w/v, z/j, ph/f, q/k, x → ks, the
//!   anusvara before b/p (m → n), doubled letters, common diacritics (ā, ś, ṇ …) and honorifics
//!   (Smt, Shri, Dr …).
//! - It does not know other Indic scripts (Bengali, Gurmukhi, Tamil …): their letters pass
//!   through unchanged and only match themselves.

/// The phonetic key of each word of a name (or a village), honorifics dropped.
pub fn name_tokens(s: &str) -> Vec<String> {
    let latin = to_latin(&s.to_lowercase());
    latin
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(phonetic)
        .filter(|w| !w.is_empty() && !HONORIFICS.contains(&w.as_str()))
        .collect()
}

/// The phonetic key of a whole name: its word keys, sorted, joined by spaces (so that
/// "Devi Sunita" and "Sunita Devi" agree).
pub fn name_key(s: &str) -> String {
    let mut t = name_tokens(s);
    t.sort();
    t.join(" ")
}

/// Honorifics and titles, as phonetic keys.
const HONORIFICS: &[&str] = &["smt", "srimati", "sri", "srimti", "kumari", "km", "mr", "mrs", "ms", "dr", "md"];

/// How alike two phonetic keys are, from 0 (nothing alike) to 1 (equal): one minus the edit
/// distance over the longer length, in characters.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    similarity_of(&a, &b, &mut Scratch::default())
}

/// Reused rows of the edit-distance table (a duplicate search compares many pairs).
#[derive(Default)]
pub(crate) struct Scratch {
    prev: Vec<usize>,
    cur: Vec<usize>,
}

/// [`similarity`] of keys already split into characters.
pub(crate) fn similarity_of(a: &[char], b: &[char], scratch: &mut Scratch) -> f64 {
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    if a == b {
        return 1.0;
    }
    1.0 - levenshtein(a, b, scratch) as f64 / longest as f64
}

fn levenshtein(a: &[char], b: &[char], scratch: &mut Scratch) -> usize {
    let Scratch { prev, cur } = scratch;
    prev.clear();
    prev.extend(0..=b.len());
    cur.clear();
    cur.resize(b.len() + 1, 0);
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(prev, cur);
    }
    prev[b.len()]
}

// ---- Devanagari → Latin ---------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Unit {
    Consonant(&'static str),
    /// A vowel; `inherent` when it is the unwritten `a` after a consonant.
    Vowel(&'static str, bool),
    /// Anything else (Latin letters, digits, marks we keep as they are).
    Other(String),
}

fn consonant(c: char) -> Option<&'static str> {
    Some(match c {
        'क' => "k", 'ख' => "kh", 'ग' => "g", 'घ' => "gh", 'ङ' => "n",
        'च' => "ch", 'छ' => "chh", 'ज' => "j", 'झ' => "jh", 'ञ' => "n",
        'ट' => "t", 'ठ' => "th", 'ड' => "d", 'ढ' => "dh", 'ण' => "n",
        'त' => "t", 'थ' => "th", 'द' => "d", 'ध' => "dh", 'न' => "n", '\u{0929}' => "n",
        'प' => "p", 'फ' => "ph", 'ब' => "b", 'भ' => "bh", 'म' => "m",
        'य' => "y", 'र' => "r", '\u{0931}' => "r", 'ल' => "l", 'ळ' => "l", '\u{0934}' => "l", 'व' => "v",
        'श' => "sh", 'ष' => "sh", 'स' => "s", 'ह' => "h",
        // Letters with the nukta built in.
        '\u{0958}' => "q", '\u{0959}' => "kh", '\u{095A}' => "g", '\u{095B}' => "z",
        '\u{095C}' => "r", '\u{095D}' => "rh", '\u{095E}' => "f", '\u{095F}' => "y",
        _ => return None,
    })
}

/// A consonant followed by the nukta sign.
fn with_nukta(base: &'static str) -> &'static str {
    match base {
        "k" => "q",
        "j" => "z",
        "ph" => "f",
        "d" => "r",
        "dh" => "rh",
        other => other,
    }
}

fn independent_vowel(c: char) -> Option<&'static str> {
    Some(match c {
        'अ' => "a", 'आ' => "aa", 'इ' => "i", 'ई' => "ii", 'उ' => "u", 'ऊ' => "uu",
        'ऋ' => "ri", 'ॠ' => "ri", 'ऌ' => "li", 'ए' => "e", 'ऐ' => "ai", 'ओ' => "o", 'औ' => "au",
        'ऍ' => "e", 'ऎ' => "e", 'ऑ' => "o", 'ऒ' => "o",
        _ => return None,
    })
}

fn vowel_sign(c: char) -> Option<&'static str> {
    Some(match c {
        'ा' => "aa", 'ि' => "i", 'ी' => "ii", 'ु' => "u", 'ू' => "uu", 'ृ' => "ri", 'ॄ' => "ri",
        'ॅ' => "e", 'ॆ' => "e", 'े' => "e", 'ै' => "ai", 'ॉ' => "o", 'ॊ' => "o", 'ो' => "o", 'ौ' => "au",
        _ => return None,
    })
}

const VIRAMA: char = '\u{094D}';
const NUKTA: char = '\u{093C}';

/// Transliterates the Devanagari in `s` to Latin letters; everything else passes through.
pub fn to_latin(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut word: Vec<Unit> = Vec::new();
    for c in s.chars() {
        if let Some(k) = consonant(c) {
            word.push(Unit::Consonant(k));
            word.push(Unit::Vowel("a", true));
        } else if c == NUKTA {
            // The nukta changes the consonant before the inherent vowel.
            let n = word.len();
            if n >= 2 {
                if let (Unit::Consonant(k), Unit::Vowel(_, true)) = (&word[n - 2], &word[n - 1]) {
                    word[n - 2] = Unit::Consonant(with_nukta(k));
                }
            }
        } else if c == VIRAMA {
            if matches!(word.last(), Some(Unit::Vowel(_, true))) {
                word.pop();
            }
        } else if let Some(v) = vowel_sign(c) {
            if matches!(word.last(), Some(Unit::Vowel(_, true))) {
                word.pop();
            }
            word.push(Unit::Vowel(v, false));
        } else if let Some(v) = independent_vowel(c) {
            word.push(Unit::Vowel(v, false));
        } else if matches!(c, '\u{0901}' | '\u{0902}') {
            // Chandrabindu and anusvara: a nasal.
            word.push(Unit::Other("n".into()));
        } else if c == '\u{0903}' {
            word.push(Unit::Other("h".into()));
        } else if ('०'..='९').contains(&c) {
            let d = char::from_digit(c as u32 - '०' as u32, 10).unwrap_or('0');
            word.push(Unit::Other(d.to_string()));
        } else if c.is_alphanumeric() {
            word.push(Unit::Other(c.to_string()));
        } else if matches!(c, '\u{093D}' | '\u{0951}'..='\u{0954}') {
            // Avagraha and accent marks carry no sound of their own.
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn flush(word: &mut Vec<Unit>, out: &mut String) {
    delete_schwas(word);
    for u in word.drain(..) {
        match u {
            Unit::Consonant(k) | Unit::Vowel(k, _) => out.push_str(k),
            Unit::Other(s) => out.push_str(&s),
        }
    }
}

fn is_vowel(u: Option<&Unit>) -> bool {
    matches!(u, Some(Unit::Vowel(..)))
}

fn is_consonant(u: Option<&Unit>) -> bool {
    matches!(u, Some(Unit::Consonant(_)))
}

/// Hindi schwa deletion (Ohala's rule, simplified): the final inherent vowel goes unless it
/// follows a conjunct or is the word's only vowel; a medial one goes between single
/// consonants that have vowels on their other sides, scanning right to left.
fn delete_schwas(w: &mut Vec<Unit>) {
    let vowels = w.iter().filter(|u| matches!(u, Unit::Vowel(..))).count();
    let n = w.len();
    if n >= 2 && vowels >= 2 && matches!(w[n - 1], Unit::Vowel(_, true)) && !is_consonant(n.checked_sub(3).and_then(|i| w.get(i))) {
        w.pop();
    }
    let mut i = w.len();
    while i > 0 {
        i -= 1;
        if !matches!(w[i], Unit::Vowel(_, true)) || i < 2 || i + 1 >= w.len() {
            continue;
        }
        let left_ok = is_consonant(w.get(i - 1)) && matches!(w.get(i - 2), Some(Unit::Vowel(..)));
        let right_ok = is_consonant(w.get(i + 1)) && is_vowel(w.get(i + 2));
        if left_ok && right_ok {
            w.remove(i);
        }
    }
}

// ---- phonetic folding of Latin spellings ----------------------------------------------------

/// The phonetic key of one Latin word (already lower case).
pub fn phonetic(word: &str) -> String {
    let mut s: String = word.chars().map(fold_diacritic).collect();
    for (from, to) in [
        ("chh", "c"),
        ("ch", "c"),
        ("ck", "k"),
        ("ph", "f"),
        ("kh", "k"),
        ("gh", "g"),
        ("jh", "j"),
        ("th", "t"),
        ("dh", "d"),
        ("bh", "b"),
        ("sh", "s"),
        ("rh", "r"),
        ("x", "ks"),
        ("q", "k"),
        ("z", "j"),
        ("w", "v"),
        ("ee", "i"),
        ("ii", "i"),
        ("oo", "u"),
        ("uu", "u"),
        ("aa", "a"),
        ("mb", "nb"),
        ("mp", "np"),
    ] {
        if s.contains(from) {
            s = s.replace(from, to);
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut last: Option<char> = None;
    for c in s.chars() {
        if Some(c) != last {
            out.push(c);
        }
        last = Some(c);
    }
    out
}

fn fold_diacritic(c: char) -> char {
    match c {
        'ā' | 'á' | 'à' | 'â' | 'ä' | 'ã' => 'a',
        'ī' | 'í' | 'ì' | 'î' | 'ï' => 'i',
        'ū' | 'ú' | 'ù' | 'û' | 'ü' => 'u',
        'ē' | 'é' | 'è' | 'ê' | 'ë' => 'e',
        'ō' | 'ó' | 'ò' | 'ô' | 'ö' => 'o',
        'ñ' | 'ṇ' | 'ṅ' | 'ṁ' | 'ṃ' => 'n',
        'ś' | 'ṣ' => 's',
        'ṭ' => 't',
        'ḍ' => 'd',
        'ṛ' => 'r',
        'ḥ' => 'h',
        'ḷ' => 'l',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devanagari_and_latin_spellings_share_a_key() {
        let k = name_key("Sunita Devi");
        assert_eq!(k, "devi sunita");
        assert_eq!(name_key("सुनीता देवी"), k);
        assert_eq!(name_key("Suneeta Devee"), k);
        assert_eq!(name_key("SUNITA  devi."), k);
        assert_eq!(name_key("Smt. Sunita Devi"), k, "honorifics are dropped");
        assert_eq!(name_key("श्रीमती सुनीता देवी"), k);
    }

    #[test]
    fn schwa_deletion_follows_hindi_speech() {
        assert_eq!(to_latin("राम"), "raam");
        assert_eq!(to_latin("रमेश"), "ramesh");
        assert_eq!(to_latin("कमला"), "kamlaa");
        assert_eq!(to_latin("मित्र"), "mitra");
        assert_eq!(to_latin("अजय"), "ajay");
        assert_eq!(to_latin("न"), "na");
        assert_eq!(to_latin("प्रकाश"), "prakaash");
        assert_eq!(name_key("कमला"), name_key("Kamla"));
        assert_eq!(name_key("राजेश कुमार"), name_key("Rajesh Kumar"));
    }

    #[test]
    fn common_latin_variants_fold() {
        assert_eq!(name_key("लक्ष्मी"), name_key("Laxmi"));
        assert_eq!(name_key("Lakshmi"), name_key("Laxmi"));
        assert_eq!(name_key("Mohammad"), name_key("मोहम्मद"));
        assert_eq!(name_key("Champa"), name_key("चंपा"));
        assert_eq!(name_key("Zarina"), name_key("ज़रीना"));
        assert_eq!(name_key("Shanti"), name_key("Santi"));
        assert_eq!(name_key("Dewi"), name_key("Devi"));
    }

    #[test]
    fn similarity_is_graded() {
        assert_eq!(similarity("sunita", "sunita"), 1.0);
        assert!(similarity("mohamad", "mohamed") > 0.8);
        assert!(similarity("sunita", "ramesh") < 0.3);
        assert_eq!(similarity("", ""), 1.0);
    }

    #[test]
    fn other_scripts_and_odd_input_pass_through_without_panic() {
        assert_eq!(name_key(""), "");
        assert_eq!(name_key("्ािं"), name_key("्ािं"));
        assert!(!name_key("সুনীতা").is_empty());
        assert_eq!(to_latin("१२३"), "123");
        assert_eq!(name_key("ज़़़"), name_key("ज़़़"));
    }
}
