#!/usr/bin/env python3
"""Interop: an unmodified third-party XMPP client (slixmpp, from PyPI, pinned in
tests/interop/requirements.txt) against the real `mimql` binary.

Starts `mimql serve` on free loopback ports with XMPP clients (c2s) on and the certificate
the server generates at first start (which the client trusts through `ca_certs`), registers
users through the admin API, and runs the scenarios below. Each scenario is an async function
taking a `Setup` (where the XMPP client connects, where the GraphQL side talks); it raises
`Skip` when the server does not offer what it needs (detected with disco#info), and anything
else on failure.

    python3 slixmpp_scenarios.py --mimql target/debug/mimql
    python3 slixmpp_scenarios.py --mimql target/debug/mimql \\
        --postgres postgres://postgres@127.0.0.1:5432 --nats-server nats-server

With `--postgres` and `--nats-server`, the scenarios marked `cluster=True` run a second time on
two nodes (one PostgreSQL database made for the run, one NATS server of the run's own): the
XMPP client on node A, the GraphQL side on node B.

The last line printed is the summary (`interop: N passed, N skipped, N failed`); the exit
status is 1 when a scenario failed or the servers could not be started.
"""

import argparse
import asyncio
import base64
import http.client
import json
import logging
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout

WAIT = 15  # seconds for anything the server should do at once
MAM = "urn:xmpp:mam:2"
OFFLINE = "msgoffline"  # XEP-0160's feature in the XEP-0030 registry
ROSTER = "jabber:iq:roster"
VCARD = "vcard-temp"
PRIVATE = "jabber:iq:private"
BLOCKING = "urn:xmpp:blocking"
CARBONS = "urn:xmpp:carbons:2"


class Skip(Exception):
    """The server does not offer what the scenario needs."""


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique(prefix):
    return f"{prefix}_{os.urandom(6).hex()}"


# --- The server -------------------------------------------------------------------------------


class Node:
    """One `mimql serve` process of the run's own."""

    def __init__(self, binary, workdir, name, database, cluster=None):
        self.name = name
        # The node name `listSessions` reports: mimql's default without [cluster].
        self.node_name = f"interop-{name}-{os.getpid()}" if cluster else None
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.user_port, self.admin_port, self.c2s_port = free_port(), free_port(), free_port()
        self.cert = os.path.join(self.dir, "c2s-cert.pem")
        self.log = os.path.join(self.dir, "mimql.log")
        self.config = os.path.join(self.dir, "mimql.toml")
        lines = [
            "[general]",
            'hosts = ["localhost"]',
            'log_level = "warn"',
            "[database]",
            f'url = "{database}"',
            "pool_size = 4",
            "[listen.user]",
            f'address = "127.0.0.1:{self.user_port}"',
            "[listen.admin]",
            f'address = "127.0.0.1:{self.admin_port}"',
            'password = "secret"',
            "[listen.metrics]",
            'address = "127.0.0.1:0"',
            "[listen.c2s]",
            f'address = "127.0.0.1:{self.c2s_port}"',
            f'certificate_dir = "{self.dir}"',
            "[modules.mod_http_upload]",
            f'local.directory = "{self.dir}/uploads"',
        ]
        if cluster:
            lines += [
                "[cluster]",
                f'nats_url = "{cluster}"',
                f'node = "{self.node_name}"',
                "heartbeat_secs = 1",
                "session_ttl_secs = 3",
            ]
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.process = subprocess.Popen(
            [binary, "serve", "--config", self.config],
            stdout=subprocess.DEVNULL,
            stderr=open(self.log, "w"),
        )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"node {name} stopped at start:\n{self.log_tail()}")
            try:
                self.graphql({"query": "{ checkAuth { authStatus } }"})
                with socket.create_connection(("127.0.0.1", self.c2s_port), timeout=1):
                    pass
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"node {name} did not start:\n{self.log_tail()}")
                time.sleep(0.1)

    def log_tail(self):
        try:
            with open(self.log) as f:
                return "".join(f.readlines()[-20:])
        except OSError:
            return ""

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def graphql(self, body, auth=None, admin=False):
        """POSTs a GraphQL request; answers the JSON body (raises on a transport error)."""
        port = self.admin_port if admin else self.user_port
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/graphql",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        if auth:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            req.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(req, timeout=WAIT) as resp:
                return json.load(resp)
        except urllib.error.HTTPError as e:
            return json.load(e)

    def register(self, prefix):
        """A new account through the admin API: (bare JID, password)."""
        name, password = unique(prefix), unique("pw")
        r = self.graphql(
            {
                "query": "mutation($d: DomainName!, $u: UserName, $p: String!) "
                "{ account { registerUser(domain: $d, username: $u, password: $p) { jid } } }",
                "variables": {"d": "localhost", "u": name, "p": password},
            },
            auth=("admin", "secret"),
            admin=True,
        )
        check(not r.get("errors"), f"registerUser: {r}")
        return (f"{name}@localhost", password)


# --- GraphQL calls (blocking; run them with `await api(...)`) ---------------------------------


async def api(f, *args):
    return await asyncio.to_thread(f, *args)


def data(r, *path):
    check(not r.get("errors"), f"GraphQL errors: {r.get('errors')}")
    d = r["data"]
    for p in path:
        d = d[p]
    return d


def send_message(node, user, to, body):
    r = node.graphql(
        {
            "query": "mutation($to: JID!, $body: String!) "
            "{ stanza { sendMessage(to: $to, body: $body) { id } } }",
            "variables": {"to": to, "body": body},
        },
        auth=user,
    )
    return data(r, "stanza", "sendMessage", "id")


def archive(node, user, with_jid):
    r = node.graphql(
        {
            "query": "query($with: JID) { stanza { getLastMessages(with: $with) "
            "{ stanzas { sender stanza_id stanza } } } }",
            "variables": {"with": with_jid},
        },
        auth=user,
    )
    return data(r, "stanza", "getLastMessages", "stanzas")


def list_sessions(node, user):
    r = node.graphql(
        {"query": "{ session { listSessions { user connection ip port priority node uptime } } }"},
        auth=user,
    )
    return data(r, "session", "listSessions")


class Sse:
    """`subscribeForMessages` over Server-Sent Events; events are read into a queue."""

    QUERY = "subscription { stanza { subscribeForMessages { sender stanza_id stanza } } }"

    def __init__(self, node, user):
        self.events = queue.Queue()
        self.conn = http.client.HTTPConnection("127.0.0.1", node.user_port, timeout=WAIT * 4)
        token = base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()
        qs = urllib.parse.urlencode({"query": self.QUERY})
        self.conn.request(
            "GET",
            f"/api/graphql/sse?{qs}",
            headers={"Accept": "text/event-stream", "Authorization": f"Basic {token}"},
        )
        self.resp = self.conn.getresponse()
        if self.resp.status != 200:
            raise AssertionError(f"SSE refused: {self.resp.status} {self.resp.read()!r}")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for line in self.resp:
                line = line.decode().rstrip("\r\n")
                if line.startswith("data:"):
                    payload = json.loads(line[5:].strip())
                    message = (
                        payload.get("data", {}).get("stanza", {}).get("subscribeForMessages")
                    )
                    if message:
                        self.events.put(message)
        except Exception:  # noqa: BLE001 - the connection was closed under the reader
            pass

    async def next(self):
        try:
            return await asyncio.to_thread(self.events.get, True, WAIT)
        except queue.Empty:
            raise AssertionError("no SSE event in time") from None

    def close(self):
        # Shut down first: the reading thread holds the response's buffer while it waits.
        try:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()


async def eventually(what, f, *args):
    """Polls the blocking `f` until it answers something true; answers it."""
    deadline = time.monotonic() + WAIT
    while True:
        got = await api(f, *args)
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"not in time: {what}")
        await asyncio.sleep(0.1)


# --- The XMPP client ----------------------------------------------------------------------------


class Xmpp:
    """An unmodified slixmpp ClientXMPP, with its incoming messages in a queue."""

    def __init__(self, node, user, resource):
        self.node = node
        self.x = slixmpp.ClientXMPP(f"{user[0]}/{resource}", user[1])
        # The server's generated, self-signed certificate: trusted as a CA, checked for the
        # domain (localhost) like any other.
        self.x.ca_certs = node.cert
        for plugin in (
            "xep_0030", "xep_0054", "xep_0059", "xep_0199", "xep_0203", "xep_0313", "xep_0359"
        ):
            self.x.register_plugin(plugin)
        self.messages = asyncio.Queue()
        self.started = asyncio.Event()
        self.failure = None
        self.x.add_event_handler("message", self.messages.put_nowait)
        self.x.add_event_handler("session_start", lambda _: self.started.set())
        self.x.add_event_handler("failed_auth", self._failed)
        self.tls = False
        self.x.add_event_handler("tls_success", self._tls)

    def _tls(self, _):
        self.tls = True

    def _failed(self, event):
        self.failure = f"authentication failed: {event}"
        self.started.set()

    @property
    def jid(self):
        return str(self.x.boundjid.full)

    async def connect(self, presence=True):
        self.x.connect("127.0.0.1", self.node.c2s_port)
        try:
            await asyncio.wait_for(self.started.wait(), WAIT)
        except asyncio.TimeoutError:
            raise AssertionError("no session in time (STARTTLS, SASL or bind failed)") from None
        check(self.failure is None, self.failure)
        check(self.tls, "STARTTLS did not happen")
        if presence:
            self.x.send_presence()
        return self

    async def message(self, body=None):
        """The next message (with `body`, skipping others when given)."""
        deadline = time.monotonic() + WAIT
        while True:
            left = deadline - time.monotonic()
            try:
                m = await asyncio.wait_for(self.messages.get(), max(left, 0.01))
            except asyncio.TimeoutError:
                raise AssertionError(f"no message {body!r} in time") from None
            if body is None or m["body"] == body:
                return m

    async def features(self):
        """What disco#info lists on the server and on the account."""
        found = set()
        for target in (self.x.boundjid.domain, self.x.boundjid.bare):
            try:
                info = await self.x.plugin["xep_0030"].get_info(jid=target, timeout=WAIT)
                found |= set(info["disco_info"]["features"])
            except (IqError, IqTimeout):
                pass
        return found

    async def disconnect(self):
        await self.x.disconnect()


class Setup:
    """Where the scenarios run: the XMPP client's node and the GraphQL side's node."""

    def __init__(self, label, xmpp_node, api_node):
        self.label = label
        self.xmpp_node = xmpp_node
        self.api_node = api_node


# --- Scenarios ----------------------------------------------------------------------------------


async def login_and_message(s):
    """Login over STARTTLS; a GraphQL message arrives with the archive's id as stanza-id; the
    answer reaches the sender's SSE subscription and the archive; the session is listed."""
    alice = await api(s.api_node.register, "ia")
    bob = await api(s.api_node.register, "ib")
    sse = await api(Sse, s.api_node, alice)
    try:
        x = await Xmpp(s.xmpp_node, bob, "slixmpp").connect()
        check(x.jid == f"{bob[0]}/slixmpp", f"bound {x.jid}")
        # Available (priority 0) before the bare-JID message is sent.
        await eventually(
            "the session is available",
            lambda: any(
                e["user"] == x.jid and e["priority"] == 0
                for e in list_sessions(s.api_node, bob)
            ),
        )
        sent = await api(send_message, s.api_node, alice, bob[0], "hello slixmpp")
        m = await x.message("hello slixmpp")
        check(m["id"] == sent, f"id {m['id']} != {sent}")
        check(m["from"].bare == alice[0], f"from {m['from']}")
        archived = await api(archive, s.api_node, bob, alice[0])
        check(len(archived) == 1, f"bob's archive: {archived}")
        check(
            (str(m["stanza_id"]["by"]), m["stanza_id"]["id"]) == (bob[0], archived[0]["stanza_id"]),
            f"stanza-id {m['stanza_id']} != archive id {archived[0]['stanza_id']}",
        )
        # The answer, to the sender's bare JID.
        m.reply("hello GraphQL").send()
        event = await sse.next()
        check(event["sender"] == x.jid, f"SSE sender {event['sender']}")
        check("hello GraphQL" in event["stanza"], f"SSE stanza {event['stanza']}")
        archived = await api(archive, s.api_node, alice, bob[0])
        check(
            [("hello slixmpp" in a["stanza"], "hello GraphQL" in a["stanza"]) for a in archived]
            == [(True, False), (False, True)],
            f"alice's archive: {archived}",
        )
        # The session as listSessions shows it.
        listed = [e for e in await api(list_sessions, s.api_node, bob) if e["user"] == x.jid]
        check(len(listed) == 1, f"listSessions: {listed}")
        e = listed[0]
        check(e["connection"] == "c2s_tls", f"connection {e}")
        check(e["ip"] == "127.0.0.1" and e["port"] and e["port"] > 0, f"address {e}")
        check(e["uptime"] is not None and e["uptime"] >= 0, f"uptime {e}")
        if s.xmpp_node.node_name:
            check(e["node"] == s.xmpp_node.node_name, f"node {e}")
        await x.disconnect()
    finally:
        sse.close()


async def mam_fetch(s):
    """Both directions of a conversation fetched with a MAM query, ids as getLastMessages."""
    alice = await api(s.api_node.register, "ima")
    bob = await api(s.api_node.register, "imb")
    x = await Xmpp(s.xmpp_node, bob, "mam").connect()
    try:
        if MAM not in await x.features():
            raise Skip(f"the server does not advertise {MAM} in disco#info")
        await eventually(
            "the session is available",
            lambda: any(e["priority"] == 0 for e in list_sessions(s.api_node, bob)),
        )
        await api(send_message, s.api_node, alice, bob[0], "first")
        m = await x.message("first")
        m.reply("second").send()

        def both_archived():
            archived = archive(s.api_node, bob, alice[0])
            return archived if len(archived) == 2 else None

        archived = await eventually("both messages archived", both_archived)
        iq = await x.x.plugin["xep_0313"].retrieve(
            with_jid=slixmpp.JID(alice[0]), rsm={"max": 10}, timeout=WAIT
        )
        results = iq["mam"]["results"]
        bodies = [r["mam_result"]["forwarded"]["stanza"]["body"] for r in results]
        check(bodies == ["first", "second"], f"MAM bodies {bodies}")
        ids = [r["mam_result"]["id"] for r in results]
        check(ids == [a["stanza_id"] for a in archived], f"MAM ids {ids} != {archived}")
    finally:
        await x.disconnect()


async def offline_delivery(s):
    """A message sent while the client is offline arrives at its next initial presence."""
    alice = await api(s.api_node.register, "ioa")
    bob = await api(s.api_node.register, "iob")
    x = await Xmpp(s.xmpp_node, bob, "offline").connect(presence=False)
    features = await x.features()
    await x.disconnect()
    if OFFLINE not in features:
        raise Skip(f"the server does not advertise {OFFLINE} (XEP-0160) in disco#info")
    await eventually("no session left", lambda: not list_sessions(s.api_node, bob))
    await api(send_message, s.api_node, alice, bob[0], "while you were away")
    x = await Xmpp(s.xmpp_node, bob, "offline").connect()
    try:
        m = await x.message("while you were away")
        check(m["from"].bare == alice[0], f"from {m['from']}")
        check(m["delay"]["stamp"] is not None, "no <delay/> on the offline message")
    finally:
        await x.disconnect()


def get_contact(node, user, contact):
    r = node.graphql(
        {
            "query": "query($c: JID!) { roster { getContact(contact: $c) "
            "{ jid name groups subscription ask } } }",
            "variables": {"c": contact},
        },
        auth=user,
    )
    if r.get("errors"):
        return None
    return r["data"]["roster"]["getContact"]


def add_contact(node, user, contact, name, groups):
    r = node.graphql(
        {
            "query": "mutation($c: JID!, $n: String, $g: [String!]) "
            "{ roster { addContact(contact: $c, name: $n, groups: $g) } }",
            "variables": {"c": contact, "n": name, "g": groups},
        },
        auth=user,
    )
    return data(r, "roster", "addContact")


def list_contacts(node, user):
    r = node.graphql(
        {"query": "{ roster { listContacts { jid name groups subscription ask } } }"},
        auth=user,
    )
    return data(r, "roster", "listContacts")


async def roster_shared(s):
    """slixmpp's roster is listContacts: a GraphQL addContact is pushed to the client, the
    client's roster set and removal are what listContacts and getContact answer."""
    alice = await api(s.api_node.register, "ira")
    bob = await api(s.api_node.register, "irb")
    x = await Xmpp(s.xmpp_node, alice, "roster").connect()
    try:
        if ROSTER not in await x.features():
            raise Skip(f"the server does not advertise {ROSTER} in disco#info")
        await x.x.get_roster(timeout=WAIT)
        check(bob[0] not in x.x.client_roster, "an empty roster")
        pushed = asyncio.Event()
        x.x.add_event_handler("roster_update", lambda _: pushed.set())
        await api(add_contact, s.api_node, alice, bob[0], "Bob", ["Pals"])
        await asyncio.wait_for(pushed.wait(), WAIT)
        item = x.x.client_roster[bob[0]]
        check(item["name"] == "Bob", f"pushed name {item['name']!r}")
        check(list(item["groups"]) == ["Pals"], f"pushed groups {item['groups']}")
        await x.x.update_roster(bob[0], name="Robert", groups=["Team"], timeout=WAIT)
        got = await api(get_contact, s.api_node, alice, bob[0])
        check(got and got["name"] == "Robert" and got["groups"] == ["Team"], f"getContact {got}")
        listed = await api(list_contacts, s.api_node, alice)
        check(
            [(c["jid"], c["name"], c["groups"]) for c in listed] == [(bob[0], "Robert", ["Team"])],
            f"listContacts {listed}",
        )
        # A second contact set over XMPP, read back with slixmpp's own roster get too.
        carol = await api(s.api_node.register, "irc")
        await x.x.update_roster(carol[0], name="Carol", groups=[], timeout=WAIT)
        listed = await api(list_contacts, s.api_node, alice)
        check(
            sorted(c["jid"] for c in listed) == sorted([bob[0], carol[0]]),
            f"listContacts {listed}",
        )
        await x.x.get_roster(timeout=WAIT)
        check(x.x.client_roster[carol[0]]["name"] == "Carol", "slixmpp's roster get")
        await x.x.update_roster(bob[0], subscription="remove", timeout=WAIT)
        got = await api(get_contact, s.api_node, alice, bob[0])
        check(got is None, f"getContact after the removal: {got}")
        listed = await api(list_contacts, s.api_node, alice)
        check([c["jid"] for c in listed] == [carol[0]], f"listContacts {listed}")
    finally:
        await x.disconnect()


async def subscriptions_shared(s):
    """slixmpp asks another slixmpp for a subscription: the request reaches the contact's
    client, whose automatic approval (slixmpp's default) is what getContact shows on both
    sides."""
    alice = await api(s.api_node.register, "isa")
    bob = await api(s.api_node.register, "isb")
    y = await Xmpp(s.xmpp_node, bob, "contact").connect()
    x = await Xmpp(s.xmpp_node, alice, "asker").connect()
    try:
        if ROSTER not in await x.features():
            raise Skip(f"the server does not advertise {ROSTER} in disco#info")
        asked = asyncio.Event()
        y.x.add_event_handler("presence_subscribe", lambda _: asked.set())
        await eventually(
            "the contact is available",
            lambda: any(e["priority"] == 0 for e in list_sessions(s.api_node, bob)),
        )
        x.x.send_presence_subscription(pto=bob[0])
        await asyncio.wait_for(asked.wait(), WAIT)

        def granted():
            got = get_contact(s.api_node, alice, bob[0])
            return got if got and got["subscription"] in ("TO", "BOTH") else None

        await eventually("alice's subscription to bob", granted)
        theirs = await api(get_contact, s.api_node, bob, alice[0])
        check(theirs and theirs["subscription"] in ("FROM", "BOTH"), f"bob's item {theirs}")
    finally:
        await x.disconnect()
        await y.disconnect()


def get_last(node, user):
    r = node.graphql({"query": "{ last { getLast { user status timestamp } } }"}, auth=user)
    if r.get("errors"):
        return None
    return r["data"]["last"]["getLast"]


async def until(what, f):
    """Waits (without blocking the clients' loop) until `f()` is true."""
    deadline = time.monotonic() + WAIT
    while not f():
        if time.monotonic() > deadline:
            raise AssertionError(f"not in time: {what}")
        await asyncio.sleep(0.05)


async def presence_shared(s):
    """Two slixmpp clients subscribe to each other (each asks, the other's client approves by
    itself), then see each other online; one goes unavailable with a status: the other sees it
    offline, and GraphQL getLast has the status."""
    alice = await api(s.api_node.register, "pra")
    bob = await api(s.api_node.register, "prb")
    x = await Xmpp(s.xmpp_node, alice, "laptop").connect()
    y = await Xmpp(s.xmpp_node, bob, "phone").connect()
    try:
        await eventually(
            "both clients are available",
            lambda: all(
                any(e["priority"] == 0 for e in list_sessions(s.api_node, u)) for u in (alice, bob)
            ),
        )
        x.x.send_presence_subscription(pto=bob[0])
        y.x.send_presence_subscription(pto=alice[0])

        def mutual():
            mine = get_contact(s.api_node, alice, bob[0])
            theirs = get_contact(s.api_node, bob, alice[0])
            return mine and theirs and mine["subscription"] == theirs["subscription"] == "BOTH"

        await eventually("a mutual subscription", mutual)
        await until(
            "alice sees bob online",
            lambda: "phone" in x.x.client_roster.presence(bob[0]),
        )
        await until(
            "bob sees alice online",
            lambda: "laptop" in y.x.client_roster.presence(alice[0]),
        )
        offline = asyncio.Event()

        def gone(p):
            if p["from"].bare == bob[0] and p["status"] == "gone to lunch":
                offline.set()

        x.x.add_event_handler("got_offline", gone)
        y.x.send_presence(ptype="unavailable", pstatus="gone to lunch")
        try:
            await asyncio.wait_for(offline.wait(), WAIT)
        except asyncio.TimeoutError:
            raise AssertionError("alice does not see bob offline with his status") from None
        last = await eventually(
            "getLast of bob",
            lambda: (get_last(s.api_node, bob) or {}).get("status") == "gone to lunch",
        )
        check(last, "getLast status")
    finally:
        await x.disconnect()
        await y.disconnect()


async def removal_shared(s):
    """An account removed through GraphQL (`unregister`) while its contact's slixmpp client is
    online: the client sees it go offline and its roster item go (pushed as removed), and
    listContacts no longer has it."""
    alice = await api(s.api_node.register, "rma")
    bob = await api(s.api_node.register, "rmb")
    r = s.api_node.graphql(
        {
            "query": "mutation($a: JID!, $b: JID!) { roster { setMutualSubscription("
            "userA: $a, userB: $b, action: CONNECT) } }",
            "variables": {"a": alice[0], "b": bob[0]},
        },
        auth=("admin", "secret"),
        admin=True,
    )
    check(not r.get("errors"), f"setMutualSubscription {r}")
    mine = await api(get_contact, s.api_node, alice, bob[0])
    check(mine and mine["subscription"] == "BOTH", f"alice's item {mine}")
    # A client's usual start: the roster, then presence.
    x = await Xmpp(s.xmpp_node, alice, "laptop").connect(presence=False)
    y = await Xmpp(s.xmpp_node, bob, "phone").connect()
    try:
        await x.x.get_roster(timeout=WAIT)
        x.x.send_presence()
        await until(
            "alice sees bob online",
            lambda: "phone" in x.x.client_roster.presence(bob[0]),
        )
        offline = asyncio.Event()
        x.x.add_event_handler(
            "got_offline", lambda p: offline.set() if p["from"].bare == bob[0] else None
        )
        removed = asyncio.Event()

        def pushed(iq):
            for jid, item in iq["roster"]["items"].items():
                if str(jid) == bob[0] and item["subscription"] == "remove":
                    removed.set()

        x.x.add_event_handler("roster_update", pushed)
        r = await api(s.api_node.graphql, {"query": "mutation { account { unregister } }"}, bob)
        check(not r.get("errors"), f"unregister {r}")
        try:
            await asyncio.wait_for(offline.wait(), WAIT)
        except asyncio.TimeoutError:
            raise AssertionError("alice does not see bob offline") from None
        try:
            await asyncio.wait_for(removed.wait(), WAIT)
        except asyncio.TimeoutError:
            raise AssertionError("alice's roster is not pushed bob's removal") from None
        listed = await api(list_contacts, s.api_node, alice)
        check(listed == [], f"listContacts {listed}")
    finally:
        await x.disconnect()
        await y.disconnect()


PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
)


def get_vcard(node, user, of=None):
    r = node.graphql(
        {
            "query": "query($u: JID) { vcard { getVcard(user: $u) { formattedName "
            "photo { ... on ImageData { type binValue } } } } }",
            "variables": {"u": of},
        },
        auth=user,
    )
    return data(r, "vcard", "getVcard")


def set_vcard(node, user, fn, photo):
    r = node.graphql(
        {
            "query": "mutation($v: VcardInput!) { vcard { setVcard(vcard: $v) "
            "{ formattedName } } }",
            "variables": {
                "v": {
                    "formattedName": fn,
                    "nameComponents": {},
                    "photo": [{"type": "image/png", "binValue": photo}],
                }
            },
        },
        auth=user,
    )
    return data(r, "vcard", "setVcard")


async def vcard_shared(s):
    """A vCard published by slixmpp (with a photo) is getVcard's, and setVcard's is what
    slixmpp reads."""
    alice = await api(s.api_node.register, "iva")
    bob = await api(s.api_node.register, "ivb")
    x = await Xmpp(s.xmpp_node, alice, "vcard").connect()
    try:
        if VCARD not in await x.features():
            raise Skip(f"the server does not advertise {VCARD} in disco#info")
        plugin = x.x.plugin["xep_0054"]
        v = plugin.make_vcard()
        v["FN"] = "Alice Liddell"
        v["PHOTO"]["TYPE"] = "image/png"
        v["PHOTO"]["BINVAL"] = PNG
        await plugin.publish_vcard(v, timeout=WAIT)
        got = await api(get_vcard, s.api_node, bob, alice[0])
        check(got["formattedName"] == "Alice Liddell", f"getVcard {got}")
        photo = got["photo"][0]
        check(photo["type"] == "image/png", f"photo {photo}")
        check(base64.b64decode(photo["binValue"]) == PNG, f"photo {photo}")
        await api(set_vcard, s.api_node, bob, "Bob Builder", base64.b64encode(PNG).decode())
        iq = await plugin.get_vcard(jid=bob[0], cached=False, timeout=WAIT)
        read = iq["vcard_temp"]
        check(read["FN"] == "Bob Builder", f"FN {read['FN']!r}")
        check(read["PHOTO"]["BINVAL"] == PNG, "the photo read over XMPP")
    finally:
        await x.disconnect()


def get_private(node, user, element, ns):
    r = node.graphql(
        {
            "query": "query($e: String!, $n: NonEmptyString!) "
            "{ private { getPrivate(element: $e, nameSpace: $n) } }",
            "variables": {"e": element, "n": ns},
        },
        auth=user,
    )
    return data(r, "private", "getPrivate")


def set_private(node, user, element):
    r = node.graphql(
        {
            "query": "mutation($e: XmlElement!) { private { setPrivate(elementString: $e) } }",
            "variables": {"e": element},
        },
        auth=user,
    )
    return data(r, "private", "setPrivate")


def same_xml(a, b):
    """Equal elements: names (with namespaces), attributes, texts and children, in order."""
    if isinstance(a, str):
        a = ET.fromstring(a)
    if isinstance(b, str):
        b = ET.fromstring(b)
    return (
        a.tag == b.tag
        and a.attrib == b.attrib
        and (a.text or "") == (b.text or "")
        and len(a) == len(b)
        and all(same_xml(c, d) for c, d in zip(a, b))
    )


async def private_shared(s):
    """Private XML stored by slixmpp is getPrivate's, and setPrivate's is what slixmpp reads."""
    alice = await api(s.api_node.register, "ipa")
    x = await Xmpp(s.xmpp_node, alice, "private").connect()
    try:
        if PRIVATE not in await x.features():
            raise Skip(f"the server does not advertise {PRIVATE} in disco#info")
        stored = "<prefs xmlns='urn:interop:prefs'><theme mode='dark'>solarized</theme></prefs>"
        iq = x.x.make_iq_set()
        query = ET.Element(f"{{{PRIVATE}}}query")
        query.append(ET.fromstring(stored))
        iq.append(query)
        await iq.send(timeout=WAIT)
        got = await api(get_private, s.api_node, alice, "prefs", "urn:interop:prefs")
        check(same_xml(got, stored), f"getPrivate {got}")
        other = "<storage xmlns='storage:bookmarks'><conference jid='r@muc.localhost'/></storage>"
        await api(set_private, s.api_node, alice, other)
        iq = x.x.make_iq_get()
        query = ET.Element(f"{{{PRIVATE}}}query")
        query.append(ET.Element("{storage:bookmarks}storage"))
        iq.append(query)
        result = await iq.send(timeout=WAIT)
        read = result.xml.find(f"{{{PRIVATE}}}query/{{storage:bookmarks}}storage")
        check(read is not None and same_xml(read, other), f"read {ET.tostring(result.xml)}")
    finally:
        await x.disconnect()


async def blocking_shared(s):
    """XEP-0191 with slixmpp's plugin: the blocklist get, block (pushed back to the client),
    unblock; a blocked user's messages, from slixmpp and from GraphQL sendMessage, neither
    arrive nor are archived, and the blocked slixmpp gets <service-unavailable/>."""
    alice = await api(s.api_node.register, "iba")
    bob = await api(s.api_node.register, "ibb")
    carol = await api(s.api_node.register, "ibc")
    x = Xmpp(s.xmpp_node, alice, "blocker")
    x.x.register_plugin("xep_0191")
    await x.connect()
    y = Xmpp(s.xmpp_node, bob, "blocked")
    # slixmpp tells message errors apart from messages.
    y.x.add_event_handler("message_error", y.messages.put_nowait)
    await y.connect()
    try:
        if BLOCKING not in await x.features():
            raise Skip(f"the server does not advertise {BLOCKING} in disco#info")
        plugin = x.x.plugin["xep_0191"]
        check(await plugin.get_blocked_jids(timeout=WAIT) == set(), "an empty blocklist")
        await eventually(
            "alice is available",
            lambda: any(e["priority"] == 0 for e in list_sessions(s.api_node, alice)),
        )
        # Before the block, bob's GraphQL message arrives (and the GraphQL node has looked at
        # alice's blocklist).
        await api(send_message, s.api_node, bob, alice[0], "before")
        await x.message("before")
        pushed = asyncio.Event()
        x.x.add_event_handler("blocked", lambda _: pushed.set())
        await plugin.block(bob[0], timeout=WAIT)
        await asyncio.wait_for(pushed.wait(), WAIT)
        blocked = await plugin.get_blocked_jids(timeout=WAIT)
        check({str(j) for j in blocked} == {bob[0]}, f"blocklist {blocked}")
        # From bob's slixmpp: an error back, nothing to alice.
        y.x.send_message(mto=alice[0], mbody="over xmpp", mtype="chat")
        m = await y.message()
        check(m["type"] == "error", f"bob got {m}")
        check(m["error"]["condition"] == "service-unavailable", f"bob's error {m['error']}")
        # From bob over GraphQL: nothing to alice either; carol's marker is alice's next.
        await api(send_message, s.api_node, bob, alice[0], "over graphql")
        await api(send_message, s.api_node, carol, alice[0], "marker")
        m = await x.message()
        check(m["body"] == "marker", f"alice got {m['body']!r} before the marker")
        archived = await api(archive, s.api_node, alice, bob[0])
        check(
            [("before" in a["stanza"]) for a in archived] == [True],
            f"alice's archive with bob: {archived}",
        )
        unpushed = asyncio.Event()
        x.x.add_event_handler("unblocked", lambda _: unpushed.set())
        await plugin.unblock(bob[0], timeout=WAIT)
        await asyncio.wait_for(unpushed.wait(), WAIT)
        check(await plugin.get_blocked_jids(timeout=WAIT) == set(), "unblocked")
        y.x.send_message(mto=alice[0], mbody="after", mtype="chat")
        await x.message("after")
    finally:
        await x.disconnect()
        await y.disconnect()


async def carbons_shared(s):
    """XEP-0280 with slixmpp's plugin and two slixmpp clients of one user (on two nodes, one on
    each): a message to one is a <received/> carbon on the other, a message one sends is a
    <sent/> carbon on the other; after <disable/>, no more copies."""
    alice = await api(s.api_node.register, "ica")
    bob = await api(s.api_node.register, "icb")
    devices = []
    for node, resource in ((s.xmpp_node, "phone"), (s.api_node, "laptop")):
        d = Xmpp(node, alice, resource)
        d.x.register_plugin("xep_0280")
        d.carbons = asyncio.Queue()
        for event in ("carbon_received", "carbon_sent"):
            d.x.add_event_handler(event, lambda m, e=event, q=d.carbons: q.put_nowait((e, m)))
        devices.append(await d.connect())
    phone, laptop = devices
    y = await Xmpp(s.xmpp_node, bob, "friend").connect()

    async def copy(d):
        try:
            return await asyncio.wait_for(d.carbons.get(), WAIT)
        except asyncio.TimeoutError:
            raise AssertionError("no carbon in time") from None

    try:
        if CARBONS not in await phone.features():
            raise Skip(f"the server does not advertise {CARBONS} in disco#info")
        for d in devices:
            await d.x.plugin["xep_0280"].enable(timeout=WAIT)
        await eventually(
            "both devices are available",
            lambda: sum(e["priority"] == 0 for e in list_sessions(s.api_node, alice)) == 2,
        )
        # To the phone's full JID: the laptop gets a <received/> copy.
        y.x.send_message(mto=phone.jid, mbody="to the phone", mtype="chat")
        await phone.message("to the phone")
        event, m = await copy(laptop)
        inner = m["carbon_received"]
        check(event == "carbon_received", event)
        check(inner["body"] == "to the phone", f"received copy {inner}")
        check(inner["from"].bare == bob[0], f"received copy from {inner['from']}")
        # Sent by the laptop: the phone gets a <sent/> copy.
        laptop.x.send_message(mto=bob[0], mbody="from the laptop", mtype="chat")
        await y.message("from the laptop")
        event, m = await copy(phone)
        inner = m["carbon_sent"]
        check(event == "carbon_sent", event)
        check(inner["body"] == "from the laptop", f"sent copy {inner}")
        check(str(inner["from"]) == laptop.jid, f"sent copy from {inner['from']}")
        check(inner["to"].bare == bob[0], f"sent copy to {inner['to']}")
        check(laptop.carbons.empty(), "no copy to the sender")
        # Disabled on the laptop: no copy of the next message to the phone.
        await laptop.x.plugin["xep_0280"].disable(timeout=WAIT)
        y.x.send_message(mto=phone.jid, mbody="private now", mtype="chat")
        await phone.message("private now")
        y.x.send_message(mto=laptop.jid, mbody="marker", mtype="chat")
        await laptop.message("marker")
        check(laptop.carbons.empty(), "a copy after <disable/>")
        event, m = await copy(phone)
        check(event == "carbon_received" and m["carbon_received"]["body"] == "marker",
              f"phone's copy {event}")
    finally:
        for d in devices:
            await d.disconnect()
        await y.disconnect()


# (function, also run across two nodes)
SCENARIOS = [
    (login_and_message, True),
    (mam_fetch, True),
    (offline_delivery, True),
    (roster_shared, True),
    (subscriptions_shared, True),
    (presence_shared, True),
    (vcard_shared, True),
    (private_shared, True),
    (blocking_shared, True),
    (carbons_shared, True),
    (removal_shared, True),
]


# --- The run ------------------------------------------------------------------------------------


async def run_scenarios(setup, cluster_only, results):
    only = os.environ.get("MIMQL_INTEROP_ONLY")
    for scenario, on_cluster in SCENARIOS:
        if cluster_only and not on_cluster:
            continue
        # A developer's filter: one scenario by name.
        if only and scenario.__name__ != only:
            continue
        name = f"{setup.label}: {scenario.__name__}"
        started = time.monotonic()
        try:
            await asyncio.wait_for(scenario(setup), WAIT * 4)
            results.append(("passed", name, ""))
        except Skip as e:
            results.append(("skipped", name, str(e)))
        except BaseException as e:  # noqa: BLE001 - every failure is reported
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            # The traceback now, the exception itself on the status line (and in the summary).
            print("".join(traceback.format_exception(e)).strip(), flush=True)
            last = traceback.format_exception_only(e)[-1].strip()
            results.append(("failed", name, last))
        status, _, detail = results[-1]
        print(f"{status:7} {name} ({time.monotonic() - started:.1f} s){': ' + detail if detail else ''}",
              flush=True)


def start_failed(results, name, e):
    lines = str(e).splitlines() or [type(e).__name__]
    print(f"failed  {name}: {lines[0]}", flush=True)
    print("\n".join(lines[1:]), flush=True)
    results.append(("failed", name, lines[0]))


def psql(url, sql):
    subprocess.run(["psql", url, "-q", "-c", sql], check=True, stdout=subprocess.DEVNULL)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mimql", required=True, help="the mimql binary")
    p.add_argument("--postgres", help="PostgreSQL server URL (without a database) for two nodes")
    p.add_argument("--nats-server", help="the nats-server binary, for two nodes")
    p.add_argument("--verbose", action="store_true", help="slixmpp's debug log")
    args = p.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.CRITICAL)
    print(f"slixmpp {slixmpp.__version__} against {args.mimql}", flush=True)

    results = []
    workdir = tempfile.mkdtemp(prefix="mimql-interop-")
    nodes, nats, database = [], None, None
    try:
        try:
            node = Node(args.mimql, workdir, "single", f"sqlite://{workdir}/mimql.db?mode=rwc")
            nodes.append(node)
            asyncio.run(run_scenarios(Setup("one node (SQLite)", node, node), False, results))
        except RuntimeError as e:
            start_failed(results, "one node (SQLite): start", e)
        if args.postgres and args.nats_server:
            database = f"mimql_interop_{os.getpid()}_{os.urandom(3).hex()}"
            try:
                psql(f"{args.postgres}/postgres", f"CREATE DATABASE {database}")
                port = free_port()
                nats = subprocess.Popen(
                    [args.nats_server, "-a", "127.0.0.1", "-p", str(port)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                url = f"{args.postgres}/{database}"
                a = Node(args.mimql, workdir, "a", url, cluster=f"nats://127.0.0.1:{port}")
                nodes.append(a)
                b = Node(args.mimql, workdir, "b", url, cluster=f"nats://127.0.0.1:{port}")
                nodes.append(b)
                asyncio.run(
                    run_scenarios(Setup("two nodes (XMPP on A, GraphQL on B)", a, b), True, results)
                )
            except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
                start_failed(results, "two nodes: start", e)
        else:
            print("skipped two nodes: no --postgres/--nats-server given", flush=True)
    finally:
        for n in nodes:
            n.stop()
        if nats:
            nats.terminate()
            nats.wait()
        if database:
            try:
                psql(f"{args.postgres}/postgres", f"DROP DATABASE IF EXISTS {database}")
            except subprocess.CalledProcessError:
                pass
        failed = any(r[0] == "failed" for r in results)
        if failed:
            for n in nodes:
                print(f"--- {n.name} log (tail) ---\n{n.log_tail()}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    count = {k: sum(1 for r in results if r[0] == k) for k in ("passed", "skipped", "failed")}
    print(
        f"interop (slixmpp {slixmpp.__version__}): {count['passed']} passed, "
        f"{count['skipped']} skipped, {count['failed']} failed"
    )
    return 1 if count["failed"] or not count["passed"] else 0


if __name__ == "__main__":
    sys.exit(main())
