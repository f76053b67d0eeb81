//! Rendering a document (now or at past heads) as JSON.

use automerge::{Automerge, ChangeHash, ObjId, ObjType, Prop, ReadDoc, ScalarValue, Value};

pub(crate) fn value_json(doc: &Automerge, v: &Value<'_>, id: &ObjId) -> serde_json::Value {
    match v {
        Value::Scalar(s) => scalar_json(s),
        Value::Object(_) => object_json(doc, id, None),
    }
}

pub(crate) fn scalar_json(s: &ScalarValue) -> serde_json::Value {
    use serde_json::Value as J;
    match s {
        ScalarValue::Str(s) => J::String(s.to_string()),
        ScalarValue::Int(i) => J::from(*i),
        ScalarValue::Uint(u) => J::from(*u),
        ScalarValue::F64(f) => serde_json::Number::from_f64(*f).map(J::Number).unwrap_or(J::Null),
        ScalarValue::Counter(c) => J::from(i64::from(c)),
        ScalarValue::Timestamp(t) => J::from(*t),
        ScalarValue::Boolean(b) => J::Bool(*b),
        ScalarValue::Bytes(b) => J::String(hex::encode(b)),
        ScalarValue::Null | ScalarValue::Unknown { .. } => J::Null,
    }
}

/// An object as JSON, as of `heads` (or now). Multi-select maps come out as maps of
/// choice → true, text as strings. Iterative, with an explicit stack: a document's depth comes
/// from whoever wrote it, and a recursive walk of a deep one would overflow the thread's stack
/// (which no panic guard catches).
pub(crate) fn object_json(doc: &Automerge, obj: &ObjId, heads: Option<&[ChangeHash]>) -> serde_json::Value {
    use serde_json::Value as J;
    /// An object being filled in: its id, the slots still to read, and what it holds so far.
    struct Frame {
        obj: ObjId,
        slots: std::vec::IntoIter<Prop>,
        /// The slot in the parent this object fills.
        at: Option<Prop>,
        out: J,
    }
    let open = |obj: ObjId, at: Option<Prop>| -> std::result::Result<Frame, J> {
        match doc.object_type(&obj).unwrap_or(ObjType::Map) {
            ObjType::Text => Err(J::String(match heads {
                Some(h) => doc.text_at(&obj, h).unwrap_or_default(),
                None => doc.text(&obj).unwrap_or_default(),
            })),
            ObjType::List => {
                let len = match heads {
                    Some(h) => doc.length_at(&obj, h),
                    None => doc.length(&obj),
                };
                let slots: Vec<Prop> = (0..len).map(Prop::Seq).collect();
                Ok(Frame { obj, slots: slots.into_iter(), at, out: J::Array(Vec::with_capacity(len)) })
            }
            _ => {
                let keys: Vec<Prop> = match heads {
                    Some(h) => doc.keys_at(&obj, h).map(Prop::Map).collect(),
                    None => doc.keys(&obj).map(Prop::Map).collect(),
                };
                Ok(Frame { obj, slots: keys.into_iter(), at, out: J::Object(serde_json::Map::new()) })
            }
        }
    };
    fn put(into: &mut J, at: Prop, v: J) {
        match (into, at) {
            (J::Array(a), _) => a.push(v),
            (J::Object(m), Prop::Map(k)) => {
                m.insert(k, v);
            }
            _ => {}
        }
    }
    let mut stack = match open(obj.clone(), None) {
        Ok(f) => vec![f],
        Err(leaf) => return leaf,
    };
    loop {
        let top = stack.last_mut().expect("the stack holds the object being read");
        match top.slots.next() {
            Some(prop) => {
                let got = match heads {
                    Some(h) => doc.get_at(&top.obj, prop.clone(), h),
                    None => doc.get(&top.obj, prop.clone()),
                };
                match got {
                    Ok(Some((Value::Object(_), id))) => match open(id, Some(prop.clone())) {
                        Ok(child) => stack.push(child),
                        Err(leaf) => put(&mut top.out, prop, leaf),
                    },
                    Ok(Some((Value::Scalar(s), _))) => put(&mut top.out, prop, scalar_json(&s)),
                    _ => put(&mut top.out, prop, J::Null),
                }
            }
            None => {
                let done = stack.pop().expect("not empty");
                match stack.last_mut() {
                    Some(parent) => put(&mut parent.out, done.at.expect("children know their slot"), done.out),
                    None => return done.out,
                }
            }
        }
    }
}
