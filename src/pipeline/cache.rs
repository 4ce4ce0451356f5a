//! The prepared-document cache: what the pipeline learns of a document that depends neither
//! on the variables nor on the caller — the token scans, the parse, the selected operation,
//! the cost and input checks of a document without variables, field merging, async-graphql's
//! validation and the request's outline — kept per (document text, `operationName`), so that
//! a client sending the same document again skips straight to authentication, variable
//! coercion and execution.
//!
//! Keys are a keyed SipHash of the text and operation name; a hit compares the text too, so a
//! collision is a miss. Bounded by entries and by an estimate of bytes, least recently used
//! out first; nothing invalidates an entry (documents are immutable and the schema is fixed
//! per process). Hostile documents cannot use it cheaply: only documents that passed every
//! check (async-graphql's validation included) are admitted, never one over
//! [`MAX_DOCUMENT_BYTES`], and only on their second sighting (a small table of recent hashes,
//! the doorkeeper), so one-off documents never displace the working set.

use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::{Arc, Mutex};

use async_graphql::ValidationResult;
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use lru::LruCache;

/// Longest document text ever cached, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 32 * 1024;

/// Estimated bytes of a parsed document per byte of its text (positions, names and nodes).
const PARSED_PER_TEXT_BYTE: usize = 8;

/// Slots of the doorkeeper (hashes seen once, recently).
const DOORKEEPER_SLOTS: usize = 4096;

/// What a cached document's requests share.
pub struct Entry {
    query: Box<str>,
    operation_name: Option<Box<str>>,
    pub learnt: Learnt,
    pub validation: ValidationResult,
    weight: usize,
}

/// An entry ready to be admitted once async-graphql's validation has passed (see
/// [`super::Gate`]).
pub struct Admission {
    cache: Arc<DocumentCache>,
    key: u64,
    entry: Entry,
}

impl Admission {
    pub fn admit(mut self, validation: ValidationResult) {
        self.entry.validation = validation;
        self.cache.insert(self.key, self.entry);
    }
}

/// What an admission needs besides the document's text.
pub struct Learnt {
    pub doc: ExecutableDocument,
    pub operation: OperationType,
    /// The selected operation's name (for logs).
    pub name: Option<String>,
    pub category: &'static str,
    /// Whether the selected operation declares variables: its cost and input checks then run
    /// again on every request, with that request's values.
    pub has_variables: bool,
    /// Whether the operation touches `@protected` types or fields (meaningful when it has no
    /// variables; otherwise the checks run again and tell).
    pub protected: bool,
}

struct Inner {
    entries: LruCache<u64, Arc<Entry>>,
    bytes: usize,
    doorkeeper: Box<[u64]>,
}

/// One API's cache (each schema has its own).
pub struct DocumentCache {
    /// `None`: caching is off.
    inner: Option<Mutex<Inner>>,
    max_entries: usize,
    max_bytes: usize,
    hasher: RandomState,
    /// `user` or `admin`, for metrics.
    api: &'static str,
}

impl DocumentCache {
    /// `max_entries` 0 (or `max_bytes` 0) turns caching off.
    pub fn new(max_entries: usize, max_bytes: usize, api: &'static str) -> DocumentCache {
        let on = max_entries > 0 && max_bytes > 0;
        DocumentCache {
            inner: on.then(|| {
                Mutex::new(Inner {
                    entries: LruCache::unbounded(),
                    bytes: 0,
                    doorkeeper: vec![0; DOORKEEPER_SLOTS].into_boxed_slice(),
                })
            }),
            max_entries,
            max_bytes,
            hasher: RandomState::new(),
            api,
        }
    }

    pub fn disabled() -> DocumentCache {
        DocumentCache::new(0, 0, "none")
    }

    fn lock(&self) -> Option<std::sync::MutexGuard<'_, Inner>> {
        self.inner
            .as_ref()
            .map(|m| m.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn key(&self, query: &str, operation_name: Option<&str>) -> u64 {
        let mut h = self.hasher.build_hasher();
        h.write(query.as_bytes());
        // The length first keeps (text, name) pairs apart.
        match operation_name {
            Some(n) => {
                h.write_u8(1);
                h.write_usize(n.len());
                h.write(n.as_bytes());
            }
            None => h.write_u8(0),
        }
        h.finish()
    }

    /// The entry of this document and operation name, if cached (counted as a hit or miss);
    /// `None` without counting when caching is off.
    pub fn get(&self, query: &str, operation_name: Option<&str>) -> Option<Arc<Entry>> {
        let mut inner = self.lock()?;
        let key = self.key(query, operation_name);
        let found = inner
            .entries
            .get(&key)
            .filter(|e| &*e.query == query && e.operation_name.as_deref() == operation_name)
            .cloned();
        drop(inner);
        crate::metrics::document_cache(self.api, if found.is_some() { "hit" } else { "miss" });
        found
    }

    /// Called for a document that passed the pipeline's checks and missed: an admission when
    /// it may be cached (small enough, seen before), to complete after validation.
    pub fn admission(
        self: &Arc<Self>,
        query: &str,
        operation_name: Option<&str>,
        learnt: impl FnOnce() -> Learnt,
    ) -> Option<Admission> {
        let size = query.len() + operation_name.map_or(0, str::len);
        if size > MAX_DOCUMENT_BYTES {
            return None;
        }
        let key = self.key(query, operation_name);
        {
            let mut inner = self.lock()?;
            let slot = &mut inner.doorkeeper[(key as usize) % DOORKEEPER_SLOTS];
            if *slot != key {
                *slot = key;
                return None;
            }
        }
        Some(Admission {
            cache: self.clone(),
            key,
            entry: Entry {
                query: query.into(),
                operation_name: operation_name.map(Into::into),
                learnt: learnt(),
                validation: ValidationResult {
                    cache_control: Default::default(),
                    complexity: 0,
                    depth: 0,
                },
                weight: size * (1 + PARSED_PER_TEXT_BYTE) + std::mem::size_of::<Entry>(),
            },
        })
    }

    fn insert(&self, key: u64, entry: Entry) {
        let Some(mut inner) = self.lock() else {
            return;
        };
        let weight = entry.weight;
        if weight > self.max_bytes {
            return;
        }
        if let Some(old) = inner.entries.put(key, Arc::new(entry)) {
            inner.bytes -= old.weight;
        }
        inner.bytes += weight;
        while inner.entries.len() > self.max_entries || inner.bytes > self.max_bytes {
            match inner.entries.pop_lru() {
                Some((_, old)) => inner.bytes -= old.weight,
                None => break,
            }
        }
    }

    /// Entries and estimated bytes held (for tests).
    pub fn size(&self) -> (usize, usize) {
        self.lock().map_or((0, 0), |i| (i.entries.len(), i.bytes))
    }
}
