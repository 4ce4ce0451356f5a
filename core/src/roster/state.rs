//! The presence-subscription state machine (RFC 6121 §3 as MongooseIM implements it), as seen
//! in roster items: `subscription` (none/to/from/both) and `ask` (none/in/out/both).
//! Pure and table-driven; `tests` below cover every (state, presence) pair of both tables.

/// Whose presence flows: `To` = the owner receives the contact's presence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sub {
    None,
    To,
    From,
    Both,
}

/// A pending request: `Out` = the owner asked, `In` = the contact asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ask {
    None,
    In,
    Out,
    Both,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct State {
    pub sub: Sub,
    pub ask: Ask,
}

/// Subscription presence types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    Subscribe,
    Subscribed,
    Unsubscribe,
    Unsubscribed,
}

/// What a transition does to an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// The item stays as it is (a missing item stays missing).
    Keep,
    Set(State),
    Delete,
}

const fn st(sub: Sub, ask: Ask) -> State {
    State { sub, ask }
}

impl State {
    pub const NONE: State = st(Sub::None, Ask::None);
}

impl Presence {
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Subscribe => "subscribe",
            Presence::Subscribed => "subscribed",
            Presence::Unsubscribe => "unsubscribe",
            Presence::Unsubscribed => "unsubscribed",
        }
    }
}

/// Yields `Delete` where a pending inbound request would become NONE/NONE: such an item only
/// existed because of the request.
fn settle(from: Option<State>, to: State) -> Change {
    if from == Some(st(Sub::None, Ask::In)) && to == State::NONE {
        Change::Delete
    } else if from == Some(to) {
        Change::Keep
    } else {
        Change::Set(to)
    }
}

/// The owner sends `p` to the contact: the change to the owner's item.
pub fn outbound(state: Option<State>, p: Presence) -> Change {
    use Ask as A;
    use Presence as P;
    use Sub as S;
    let current = state.unwrap_or(State::NONE);
    let next = match (current.sub, current.ask, p) {
        (S::None, A::None, P::Subscribe) => st(S::None, A::Out),
        (S::None, A::Out, P::Subscribe) => st(S::None, A::Out),
        (S::None, A::Out, P::Unsubscribe) => State::NONE,
        (S::None, A::In, P::Subscribe) => st(S::None, A::Both),
        (S::None, A::In, P::Subscribed) => st(S::From, A::None),
        (S::None, A::In, P::Unsubscribed) => State::NONE,
        (S::None, A::Both, P::Subscribed) => st(S::From, A::Out),
        (S::None, A::Both, P::Unsubscribe) => st(S::None, A::In),
        (S::None, A::Both, P::Unsubscribed) => st(S::None, A::Out),
        (S::To, A::None, P::Subscribed) => st(S::Both, A::None),
        (S::To, A::None, P::Unsubscribe) => State::NONE,
        (S::To, A::In, P::Subscribed) => st(S::Both, A::None),
        (S::To, A::In, P::Unsubscribe) => st(S::None, A::In),
        (S::To, A::In, P::Unsubscribed) => st(S::To, A::None),
        (S::From, A::None, P::Subscribe) => st(S::From, A::Out),
        (S::From, A::None, P::Unsubscribed) => State::NONE,
        (S::From, A::Out, P::Unsubscribe) => st(S::From, A::None),
        (S::From, A::Out, P::Unsubscribed) => st(S::None, A::Out),
        (S::Both, A::None, P::Unsubscribe) => st(S::From, A::None),
        (S::Both, A::None, P::Unsubscribed) => st(S::To, A::None),
        _ => return Change::Keep,
    };
    if state.is_none() && next == State::NONE {
        return Change::Keep;
    }
    settle(state, next)
}

/// The owner receives `p` from the contact: the change to the owner's item and the presence
/// the owner's server answers automatically, if any.
pub fn inbound(state: Option<State>, p: Presence) -> (Change, Option<Presence>) {
    use Ask as A;
    use Presence as P;
    use Sub as S;
    let current = state.unwrap_or(State::NONE);
    let (next, reply) = match (current.sub, current.ask, p) {
        (S::None, A::None, P::Subscribe) => (st(S::None, A::In), None),
        (S::None, A::Out, P::Subscribe) => (st(S::None, A::Both), None),
        (S::None, A::Out, P::Subscribed) => (st(S::To, A::None), None),
        (S::None, A::Out, P::Unsubscribed) => (State::NONE, None),
        (S::None, A::In, P::Unsubscribe) => (State::NONE, Some(P::Unsubscribed)),
        (S::None, A::Both, P::Subscribed) => (st(S::To, A::In), None),
        (S::None, A::Both, P::Unsubscribe) => (st(S::None, A::Out), Some(P::Unsubscribed)),
        (S::None, A::Both, P::Unsubscribed) => (st(S::None, A::In), None),
        (S::To, A::None, P::Subscribe) => (st(S::To, A::In), None),
        (S::To, A::None, P::Unsubscribed) => (State::NONE, None),
        (S::To, A::In, P::Unsubscribe) => (st(S::To, A::None), Some(P::Unsubscribed)),
        (S::To, A::In, P::Unsubscribed) => (st(S::None, A::In), None),
        (S::From, A::None, P::Subscribe) => (current, Some(P::Subscribed)),
        (S::From, A::None, P::Subscribed) => (st(S::Both, A::None), None),
        (S::From, A::None, P::Unsubscribe) => (State::NONE, Some(P::Unsubscribed)),
        (S::From, A::Out, P::Subscribe) => (current, Some(P::Subscribed)),
        (S::From, A::Out, P::Subscribed) => (st(S::Both, A::None), None),
        (S::From, A::Out, P::Unsubscribe) => (st(S::None, A::Out), Some(P::Unsubscribed)),
        (S::From, A::Out, P::Unsubscribed) => (st(S::From, A::None), None),
        (S::Both, A::None, P::Subscribe) => (current, Some(P::Subscribed)),
        (S::Both, A::None, P::Unsubscribe) => (st(S::To, A::None), Some(P::Unsubscribed)),
        (S::Both, A::None, P::Unsubscribed) => (st(S::From, A::None), None),
        _ => return (Change::Keep, None),
    };
    if state.is_none() && next == State::NONE {
        return (Change::Keep, reply);
    }
    (settle(state, next), reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ask as A;
    use Presence as P;
    use Sub as S;

    const STATES: [Option<State>; 10] = [
        None,
        Some(st(S::None, A::None)),
        Some(st(S::None, A::Out)),
        Some(st(S::None, A::In)),
        Some(st(S::None, A::Both)),
        Some(st(S::To, A::None)),
        Some(st(S::To, A::In)),
        Some(st(S::From, A::None)),
        Some(st(S::From, A::Out)),
        Some(st(S::Both, A::None)),
    ];
    const PRESENCES: [Presence; 4] = [P::Subscribe, P::Subscribed, P::Unsubscribe, P::Unsubscribed];

    /// Parses the spec's notation: "NONE/OUT", "—" (keep), "del".
    fn expect(cell: &str) -> Change {
        match cell {
            "—" => Change::Keep,
            "del" => Change::Delete,
            s => {
                let (sub, ask) = s.split_once('/').unwrap();
                let sub = match sub {
                    "NONE" => S::None,
                    "TO" => S::To,
                    "FROM" => S::From,
                    "BOTH" => S::Both,
                    _ => unreachable!(),
                };
                let ask = match ask {
                    "NONE" => A::None,
                    "IN" => A::In,
                    "OUT" => A::Out,
                    "BOTH" => A::Both,
                    _ => unreachable!(),
                };
                Change::Set(st(sub, ask))
            }
        }
    }

    fn normalise(state: Option<State>, c: Change) -> Change {
        // A "set" to the current state is the same as keeping it.
        match c {
            Change::Set(s) if Some(s) == state => Change::Keep,
            c => c,
        }
    }

    /// The outbound table of the spec (rows: STATES, columns: INVITE ACCEPT CANCEL DECLINE,
    /// i.e. subscribe subscribed unsubscribe unsubscribed).
    #[test]
    fn outbound_table() {
        let table = [
            ["NONE/OUT", "—", "—", "—"],
            ["NONE/OUT", "—", "—", "—"],
            ["NONE/OUT", "—", "NONE/NONE", "—"],
            ["NONE/BOTH", "FROM/NONE", "—", "del"],
            ["—", "FROM/OUT", "NONE/IN", "NONE/OUT"],
            ["—", "BOTH/NONE", "NONE/NONE", "—"],
            ["—", "BOTH/NONE", "NONE/IN", "TO/NONE"],
            ["FROM/OUT", "—", "—", "NONE/NONE"],
            ["—", "—", "FROM/NONE", "NONE/OUT"],
            ["—", "—", "FROM/NONE", "TO/NONE"],
        ];
        for (state, row) in STATES.iter().zip(table) {
            for (p, cell) in PRESENCES.iter().zip(row) {
                assert_eq!(
                    outbound(*state, *p),
                    normalise(*state, expect(cell)),
                    "outbound {state:?} {p:?}"
                );
            }
        }
    }

    /// The inbound table of the spec, with the automatic replies.
    #[test]
    fn inbound_table() {
        let table = [
            [("NONE/IN", None), ("—", None), ("—", None), ("—", None)],
            [("NONE/IN", None), ("—", None), ("—", None), ("—", None)],
            [
                ("NONE/BOTH", None),
                ("TO/NONE", None),
                ("—", None),
                ("NONE/NONE", None),
            ],
            [
                ("—", None),
                ("—", None),
                ("del", Some(P::Unsubscribed)),
                ("—", None),
            ],
            [
                ("—", None),
                ("TO/IN", None),
                ("NONE/OUT", Some(P::Unsubscribed)),
                ("NONE/IN", None),
            ],
            [
                ("TO/IN", None),
                ("—", None),
                ("—", None),
                ("NONE/NONE", None),
            ],
            [
                ("—", None),
                ("—", None),
                ("TO/NONE", Some(P::Unsubscribed)),
                ("NONE/IN", None),
            ],
            [
                ("—", Some(P::Subscribed)),
                ("BOTH/NONE", None),
                ("NONE/NONE", Some(P::Unsubscribed)),
                ("—", None),
            ],
            [
                ("—", Some(P::Subscribed)),
                ("BOTH/NONE", None),
                ("NONE/OUT", Some(P::Unsubscribed)),
                ("FROM/NONE", None),
            ],
            [
                ("—", Some(P::Subscribed)),
                ("—", None),
                ("TO/NONE", Some(P::Unsubscribed)),
                ("FROM/NONE", None),
            ],
        ];
        for (state, row) in STATES.iter().zip(table) {
            for (p, (cell, reply)) in PRESENCES.iter().zip(row) {
                assert_eq!(
                    inbound(*state, *p),
                    (normalise(*state, expect(cell)), reply),
                    "inbound {state:?} {p:?}"
                );
            }
        }
    }

    /// Runs a subscription action between two rosters the way the server does.
    fn act(a: &mut Option<State>, b: &mut Option<State>, p: Presence) {
        fn apply(s: &mut Option<State>, c: Change) {
            match c {
                Change::Keep => {}
                Change::Set(n) => *s = Some(n),
                Change::Delete => *s = None,
            }
        }
        apply(a, outbound(*a, p));
        let (c, reply) = inbound(*b, p);
        apply(b, c);
        if let Some(r) = reply {
            apply(a, inbound(*a, r).0);
        }
    }

    #[test]
    fn worked_scenarios_of_the_spec() {
        let (mut a, mut b) = (None, None);
        act(&mut a, &mut b, P::Subscribe);
        assert_eq!(
            (a, b),
            (Some(st(S::None, A::Out)), Some(st(S::None, A::In)))
        );
        act(&mut b, &mut a, P::Subscribed);
        assert_eq!(
            (a, b),
            (Some(st(S::To, A::None)), Some(st(S::From, A::None)))
        );
        act(&mut a, &mut b, P::Unsubscribe);
        assert_eq!((a, b), (Some(State::NONE), Some(State::NONE)));

        let (mut a, mut b) = (None, None);
        act(&mut a, &mut b, P::Subscribe);
        act(&mut b, &mut a, P::Unsubscribed);
        assert_eq!(
            (a, b),
            (Some(State::NONE), None),
            "a declined request deletes the pending item"
        );

        let (mut a, mut b) = (None, None);
        act(&mut a, &mut b, P::Subscribe);
        act(&mut a, &mut b, P::Unsubscribe);
        assert_eq!(
            (a, b),
            (Some(State::NONE), None),
            "a cancelled request deletes the pending item"
        );

        let (mut a, mut b) = (None, None);
        act(&mut a, &mut b, P::Subscribe);
        act(&mut b, &mut a, P::Subscribed);
        act(&mut b, &mut a, P::Subscribe);
        assert_eq!((a, b), (Some(st(S::To, A::In)), Some(st(S::From, A::Out))));
        act(&mut a, &mut b, P::Subscribed);
        assert_eq!(
            (a, b),
            (Some(st(S::Both, A::None)), Some(st(S::Both, A::None)))
        );
        let (mut a2, mut b2) = (a, b);
        act(&mut a, &mut b, P::Unsubscribe);
        assert_eq!(
            (a, b),
            (Some(st(S::From, A::None)), Some(st(S::To, A::None)))
        );
        act(&mut a2, &mut b2, P::Unsubscribed);
        assert_eq!(
            (a2, b2),
            (Some(st(S::To, A::None)), Some(st(S::From, A::None)))
        );

        let (mut a, mut b) = (None, None);
        act(&mut a, &mut b, P::Subscribed);
        assert_eq!((a, b), (None, None), "accepting nothing changes nothing");
    }
}
