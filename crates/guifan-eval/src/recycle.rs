//! Decoded records' allocations kept for the next record: a subject handed
//! back by [`recycle`] once it is decided gives its field array, its nested
//! records and its lists to a pool of the thread that recycles it, and the
//! fast decoder of that thread takes them from there instead of allocating.
//! So a host that decides record after record on one thread (the runner does)
//! allocates nothing per record once the pool holds what a record needs.
//!
//! Only what nothing else still shares is kept: a list or record that a
//! decision, a cache or another value still holds is simply released. The
//! pool is bounded (so many arrays of each length), whatever the data.

use std::cell::RefCell;
use std::sync::Arc;

use crate::value::{Subject, Value};

/// The longest list or record kept, in values.
const MAX_LEN: usize = 32;
/// How many arrays of one length are kept.
const MAX_PER_LEN: usize = 64;
/// How many subjects' field arrays are kept (of any width).
const MAX_FIELD_ARRAYS: usize = 8;

/// One thread's spare arrays.
#[derive(Default)]
struct Pool {
    /// Spare shared arrays, by length (index `len - 1`), every value `Absent`
    arrays: Vec<Vec<Arc<[Value]>>>,
    /// Spare subjects' field arrays, every value `Absent`
    fields: Vec<Vec<Value>>,
    /// The arrays still to empty while one subject is recycled
    pending: Vec<Arc<[Value]>>,
}

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool::default());
}

/// Hands a decided subject's allocations to this thread's pool, for the next
/// records this thread decodes. Dropping the subject instead is always
/// correct; this only saves the allocations.
pub fn recycle(subject: Subject) {
    let _ = POOL.try_with(|pool| {
        if let Ok(mut pool) = pool.try_borrow_mut() {
            pool.subject(subject);
        }
    });
}

/// A shared array of `len` values, all `Absent`, from the pool when it has one.
pub(crate) fn array(len: usize) -> Arc<[Value]> {
    let spare = POOL
        .try_with(|pool| {
            let mut pool = pool.try_borrow_mut().ok()?;
            pool.arrays.get_mut(len.checked_sub(1)?)?.pop()
        })
        .ok()
        .flatten();
    spare.unwrap_or_else(|| std::iter::repeat_n(Value::Absent, len).collect())
}

/// A subject's field array of `width` values, all `Absent`, from the pool when it has one.
pub(crate) fn fields(width: usize) -> Vec<Value> {
    let spare = POOL
        .try_with(|pool| {
            let mut pool = pool.try_borrow_mut().ok()?;
            let at = pool.fields.iter().position(|f| f.len() == width)?;
            Some(pool.fields.swap_remove(at))
        })
        .ok()
        .flatten();
    spare.unwrap_or_else(|| vec![Value::Absent; width])
}

impl Pool {
    fn subject(&mut self, subject: Subject) {
        let mut fields = subject.fields.into_vec();
        for value in &mut fields {
            self.take(std::mem::replace(value, Value::Absent));
        }
        self.empty_pending();
        if self.fields.len() < MAX_FIELD_ARRAYS {
            self.fields.push(fields);
        }
    }

    /// Queues a value's array, when it has one, to be emptied and kept.
    fn take(&mut self, value: Value) {
        if let Value::List(array) | Value::Record(array) = value {
            self.pending.push(array);
        }
    }

    /// Empties the queued arrays that nothing else holds, queueing the arrays
    /// inside them in turn (no recursion, however deep the data), and keeps them.
    fn empty_pending(&mut self) {
        while let Some(mut array) = self.pending.pop() {
            let Some(values) = Arc::get_mut(&mut array) else {
                continue;
            };
            for value in values.iter_mut() {
                if let Value::List(inner) | Value::Record(inner) =
                    std::mem::replace(value, Value::Absent)
                {
                    self.pending.push(inner);
                }
            }
            self.keep(array);
        }
    }

    fn keep(&mut self, array: Arc<[Value]>) {
        let Some(index) = array.len().checked_sub(1).filter(|i| *i < MAX_LEN) else {
            return;
        };
        if self.arrays.len() <= index {
            self.arrays.resize_with(index + 1, Vec::new);
        }
        if let Some(spares) = self.arrays.get_mut(index) {
            if spares.len() < MAX_PER_LEN {
                spares.push(array);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::KindId;
    use crate::value::Text;

    fn subject(fields: Vec<Value>) -> Subject {
        Subject {
            kind: KindId(0),
            id: Text::new("m-1"),
            fields: fields.into_boxed_slice(),
            currency: None,
        }
    }

    fn record(values: &[Value]) -> Value {
        Value::Record(values.iter().cloned().collect())
    }

    #[test]
    fn a_recycled_subjects_arrays_come_back_empty_and_of_their_length() {
        let inner = record(&[Value::Int(1), Value::str("x")]);
        let items: Arc<[Value]> = [inner, record(&[Value::Int(2), Value::Bool(true)])].into();
        let pointer = Arc::as_ptr(&items).cast::<Value>();
        let list = Value::List(items);
        let subject = subject(vec![Value::str("merchant"), list, Value::Int(3)]);
        let field_array = subject.fields.as_ptr();
        recycle(subject);

        let fields = fields(3);
        assert_eq!(fields, vec![Value::Absent; 3], "the field array, emptied");
        assert_eq!(
            fields.as_ptr(),
            field_array,
            "the subject's own field array"
        );
        let two = array(2);
        assert!(two.iter().all(|v| *v == Value::Absent));
        // The list and both records had length 2: the three arrays are kept,
        // the list among them.
        let more = [array(2), array(2)];
        let pointers: Vec<_> = [&two, &more[0], &more[1]]
            .iter()
            .map(|a| Arc::as_ptr(a).cast::<Value>())
            .collect();
        assert!(pointers.contains(&pointer), "the list's array is reused");
        assert_eq!(
            POOL.with(|p| p.borrow().arrays.get(1).map_or(0, Vec::len)),
            0,
            "three arrays of length 2 were kept and taken"
        );
    }

    #[test]
    fn arrays_something_else_holds_are_released_not_kept() {
        let shared: Arc<[Value]> = [Value::Int(1), Value::Int(2), Value::Int(3)].into();
        let held = Arc::clone(&shared);
        recycle(subject(vec![Value::List(shared)]));
        let again = array(3);
        assert!(!Arc::ptr_eq(&again, &held), "a shared array is not reused");
        assert_eq!(&held[..], &[Value::Int(1), Value::Int(2), Value::Int(3)]);
    }

    #[test]
    fn the_pool_keeps_so_many_arrays_and_no_long_ones() {
        let many: Vec<Value> = (0..MAX_PER_LEN + 10)
            .map(|_| record(&[Value::Int(1)]))
            .collect();
        let long = Value::List(std::iter::repeat_n(Value::Int(0), MAX_LEN + 1).collect());
        recycle(subject(vec![Value::List(many.into()), long]));
        POOL.with(|p| {
            let p = p.borrow();
            assert_eq!(p.arrays.first().map(Vec::len), Some(MAX_PER_LEN));
            assert!(p.arrays.len() <= MAX_LEN, "no array longer than MAX_LEN");
        });
        for _ in 0..MAX_FIELD_ARRAYS + 5 {
            recycle(subject(vec![Value::Int(1), Value::Int(2)]));
        }
        POOL.with(|p| assert_eq!(p.borrow().fields.len(), MAX_FIELD_ARRAYS));
    }
}
