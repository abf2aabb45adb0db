#!/usr/bin/env python3
"""fake_mattermost: a fake of Mattermost's REST API v4 for tests (standard library only).

Serves /api/v4/... with Mattermost's wire format: bearer-token auth (401
without), AppError bodies {"id", "message", "detailed_error", "request_id",
"status_code"} for 400/403/404, 429 with X-Ratelimit-* headers, 201 for
what it creates. Like the real server it performs button clicks against the
integration URL a post's action names, with the context it stored, and
applies the "update" the integration answers. A control API under /_fake/
(no auth) configures it, injects failures and shows what was received. See
README.md.

    python3 fake_mattermost.py [--port N] [--token T]   # prints "PORT <n>" first
"""
import argparse
import json
import random
import re
import string
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

DEFAULT_TOKEN = "mm-fake-bot-token-0123456789"
MAX_MESSAGE = 16383  # runes: PostMessageMaxRunesV2
MAX_BODY = 1 << 20
ACTION_ID = re.compile(r"^[A-Za-z0-9]+$")
BUTTON_STYLES = {"default", "primary", "success", "good", "warning", "danger"}
RATE_LIMIT = 10  # what the X-Ratelimit-Limit header says (per second)
TRIGGER_TTL = 3  # s: InteractiveDialogTriggerTimeoutMilliseconds


def new_id():
    """A Mattermost id: 26 characters of [a-z0-9]."""
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(26))


class AppError(Exception):
    """Mattermost's error answer."""

    def __init__(self, status, app_id, message):
        super().__init__(app_id)
        self.status, self.app_id, self.message = status, app_id, message


def not_found(what):
    return AppError(404, "app.%s.get.app_error" % what, "Unable to find the %s." % what)


FORBIDDEN = AppError(403, "api.context.permissions.app_error",
                     "You do not have the appropriate permissions.")


class State:
    """Everything the fake knows; guarded by one lock."""

    def __init__(self, token):
        self.lock = threading.Lock()
        self.token = token
        self.bot = {"id": new_id(), "username": "securitybot", "is_bot": True,
                    "email": "securitybot@localhost"}
        self.users = {}  # id -> user
        self.channels = {}  # id -> {"id", "type", "name", "members": set()}
        self.team_id = new_id()
        self.allowed_internal = set()  # AllowedUntrustedInternalConnections
        self.commands = {}  # trigger word -> {"url", "token"}: custom slash commands
        self.reset()

    def reset(self):
        self.calls = []
        self.posts = {}  # id -> post
        self.order = []  # post ids in creation order
        self.clicks = []
        self.commands_run = []
        self.triggers = {}  # trigger_id -> {"user_id", "time"}: what clicks and commands issued
        self.dialogs = []  # dialogs opened: {"time", "user_id", "trigger_id", "url", "dialog"}
        self.submissions = []
        self.failures = []  # [{path, count, status, retry_after}]

    def user_by_email(self, email):
        for u in self.users.values():
            if u["email"].lower() == email.lower():
                return u
        return None

    def take_failure(self, path):
        for f in self.failures:
            if f.get("path") not in (None, path) and not re.fullmatch(f.get("path") or "", path):
                continue
            f["count"] -= 1
            if f["count"] <= 0:
                self.failures.remove(f)
            return dict(f)
        return None


def runes(s):
    return len(s)


def check_props(props):
    """None, or why Mattermost would refuse a post's props (400)."""
    if props is None:
        return None
    if not isinstance(props, dict):
        return "props must be an object"
    atts = props.get("attachments", [])
    if not isinstance(atts, list):
        return "props.attachments must be an array"
    ids = set()
    for a in atts:
        if not isinstance(a, dict):
            return "an attachment is not an object"
        for f in a.get("fields") or []:
            if not isinstance(f, dict) or not isinstance(f.get("title", ""), str):
                return "an attachment field is malformed"
        for act in a.get("actions") or []:
            if not isinstance(act, dict):
                return "an action is not an object"
            aid = act.get("id")
            if not isinstance(aid, str) or not ACTION_ID.match(aid) or aid in ids:
                return "action id must be letters and digits, unique"
            ids.add(aid)
            if not isinstance(act.get("name"), str) or not act["name"]:
                return "action name is required"
            if act.get("style", "default") not in BUTTON_STYLES:
                return "unknown button style"
            integ = act.get("integration")
            if not isinstance(integ, dict) or not isinstance(integ.get("url"), str) or \
                    not re.match(r"^https?://", integ["url"]):
                return "integration.url must be http(s)"
            if "context" in integ and not isinstance(integ["context"], dict):
                return "integration.context must be an object"
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-mattermost/1"
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet: tests read /_fake/calls
        pass

    @property
    def st(self):
        return self.server.state

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise AppError(413, "api.context.request_too_large.app_error", "Request too large")
        return self.rfile.read(n) if n > 0 else b""

    def send(self, status, body, ctype="application/json", headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Request-Id", new_id())
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PUT(self):
        self.route("PUT")

    def route(self, verb):
        path = urlsplit(self.path).path
        try:
            raw = self.read_body()
        except AppError as e:
            return self.send(e.status, self.app_error(e))
        if path.startswith("/_fake/"):
            return self.control(verb, path[len("/_fake/"):], raw)
        if not path.startswith("/api/v4/"):
            return self.send(404, self.app_error(AppError(404, "api.context.404.app_error",
                                                          "Sorry, we could not find the page.")))
        self.api(verb, path[len("/api/v4"):], raw)

    # ---- the API --------------------------------------------------------

    def app_error(self, e):
        return {"id": e.app_id, "message": e.message, "detailed_error": "",
                "request_id": new_id(), "status_code": e.status}

    def rate_headers(self):
        return [("X-Ratelimit-Limit", str(RATE_LIMIT)), ("X-Ratelimit-Remaining", str(RATE_LIMIT - 1)),
                ("X-Ratelimit-Reset", "1")]

    def authorized(self):
        auth = self.headers.get("Authorization", "")
        scheme, _, tok = auth.partition(" ")
        return scheme.lower() in ("bearer", "token") and tok == self.st.token

    def api(self, verb, path, raw):
        call = {"time": time.time(), "http_method": verb, "path": path,
                "content_type": self.headers.get("Content-Type"),
                "user_agent": self.headers.get("User-Agent"), "client_port": self.client_address[1]}
        status, body, headers, ctype = 500, None, self.rate_headers(), "application/json"
        with self.st.lock:
            try:
                if not self.authorized():
                    raise AppError(401, "api.context.session_expired.app_error",
                                   "Invalid or expired session, please login again.")
                f = self.st.take_failure(path)
                if f:
                    call["injected"] = True
                    status = f.get("status", 500)
                    if status == 429:
                        ra = str(f.get("retry_after", 1))
                        headers = [("X-Ratelimit-Limit", str(RATE_LIMIT)),
                                   ("X-Ratelimit-Remaining", "0"), ("X-Ratelimit-Reset", ra),
                                   ("Retry-After", ra)]
                        body, ctype = b"limit exceeded\n", "text/plain; charset=utf-8"
                    else:
                        raise AppError(status, "api.fake.injected.app_error", "injected failure")
                else:
                    args = None
                    if verb in ("POST", "PUT"):
                        if not (self.headers.get("Content-Type") or "").startswith("application/json"):
                            raise AppError(400, "api.context.invalid_body_param.app_error",
                                           "Invalid or missing body in request body.")
                        try:
                            args = json.loads(raw.decode("utf-8"))
                        except ValueError:
                            raise AppError(400, "api.context.invalid_body_param.app_error",
                                           "Invalid or missing body in request body.")
                    call["args"] = args
                    status, body = self.dispatch(verb, path, args)
            except AppError as e:
                status, body = e.status, self.app_error(e)
                call["error"] = e.app_id
            call["status"] = status
            if isinstance(body, dict) and status < 300:
                call["answer_id"] = body.get("id")
            self.st.calls.append(call)
        self.send(status, body, ctype, headers)

    def dispatch(self, verb, path, args):
        st = self.st
        if verb == "GET" and path == "/users/me":
            return 200, st.bot
        m = re.fullmatch(r"/users/email/([^/]+)", path)
        if verb == "GET" and m:
            u = st.user_by_email(unquote(m.group(1)))
            if not u:
                raise AppError(404, "app.user.missing_account.const", "Unable to find the user.")
            return 200, u
        if verb == "POST" and path == "/channels/direct":
            return self.create_direct(args)
        if verb == "POST" and path == "/actions/dialogs/open":
            return self.open_dialog(args)
        if verb == "POST" and path == "/posts":
            return self.create_post(args)
        m = re.fullmatch(r"/posts/([a-z0-9]{26})/patch", path)
        if verb == "PUT" and m:
            return self.patch_post(m.group(1), args)
        m = re.fullmatch(r"/channels/([a-z0-9]{26})", path)
        if verb == "GET" and m:
            ch = st.channels.get(m.group(1))
            if not ch or st.bot["id"] not in ch["members"]:
                raise FORBIDDEN if ch else not_found("channel")
            return 200, {k: v for k, v in ch.items() if k != "members"}
        raise AppError(404, "api.context.404.app_error", "Sorry, we could not find the page.")

    def create_direct(self, args):
        st = self.st
        if not isinstance(args, list) or len(args) != 2 or not all(isinstance(a, str) for a in args):
            raise AppError(400, "api.context.invalid_body_param.app_error",
                           "Invalid or missing user_ids in request body.")
        if st.bot["id"] not in args:
            raise FORBIDDEN
        for uid in args:
            if uid != st.bot["id"] and uid not in st.users:
                raise AppError(400, "api.channel.create_direct_channel.invalid_user.app_error",
                               "Invalid user ID for direct channel creation.")
        name = "__".join(sorted(args))
        for ch in st.channels.values():
            if ch["name"] == name:
                return 201, {k: v for k, v in ch.items() if k != "members"}
        ch = {"id": new_id(), "type": "D", "name": name, "team_id": "", "display_name": "",
              "create_at": int(time.time() * 1000), "members": set(args)}
        st.channels[ch["id"]] = ch
        return 201, {k: v for k, v in ch.items() if k != "members"}

    def open_dialog(self, args):
        """POST /actions/dialogs/open: Mattermost decodes the trigger (signed,
        naming its user and time) and refuses one older than 3 s."""
        st = self.st
        if not isinstance(args, dict):
            raise AppError(400, "api.context.invalid_body_param.app_error",
                           "Invalid or missing dialog in request body.")
        for key in ("trigger_id", "url"):
            if not isinstance(args.get(key), str) or not args[key]:
                raise AppError(400, "api.context.invalid_body_param.app_error",
                               "Invalid or missing %s in request body." % key)
        dialog = args.get("dialog")
        if not isinstance(dialog, dict) or not dialog.get("title") or \
                not isinstance(dialog.get("elements", []), list) or len(dialog.get("elements", [])) > 5:
            raise AppError(400, "api.context.invalid_body_param.app_error",
                           "Invalid or missing dialog in request body.")
        trig = st.triggers.get(args["trigger_id"])
        if not trig:
            raise AppError(400, "interactive_message.decode_trigger_id.verify_signature_failed",
                           "Signature verification failed for trigger ID for interactive dialog.")
        if time.time() - trig["time"] > TRIGGER_TTL:
            raise AppError(400, "interactive_message.decode_trigger_id.expired",
                           "Trigger ID for interactive dialog is expired. Trigger IDs live for a "
                           "maximum of %d seconds." % TRIGGER_TTL)
        st.dialogs.append({"time": time.time(), "user_id": trig["user_id"],
                           "trigger_id": args["trigger_id"], "url": args["url"], "dialog": dialog})
        return 200, {"status": "OK"}

    def check_post_fields(self, message, props):
        if not isinstance(message, str):
            raise AppError(400, "api.context.invalid_body_param.app_error",
                           "Invalid or missing message in request body.")
        if runes(message) > MAX_MESSAGE:
            raise AppError(400, "model.post.is_valid.msg.app_error", "Invalid message.")
        why = check_props(props)
        if why:
            raise AppError(400, "model.post.is_valid.props.app_error", "Invalid props: " + why)

    def create_post(self, args):
        st = self.st
        if not isinstance(args, dict) or not isinstance(args.get("channel_id"), str):
            raise AppError(400, "api.context.invalid_body_param.app_error",
                           "Invalid or missing channel_id in request body.")
        ch = st.channels.get(args["channel_id"])
        if not ch:
            raise FORBIDDEN  # Mattermost: no permission on a channel it cannot see
        if st.bot["id"] not in ch["members"]:
            raise FORBIDDEN
        self.check_post_fields(args.get("message", ""), args.get("props"))
        now = int(time.time() * 1000)
        post = {"id": new_id(), "create_at": now, "update_at": now, "edit_at": 0, "delete_at": 0,
                "user_id": st.bot["id"], "channel_id": ch["id"], "root_id": "", "type": "",
                "message": args.get("message", ""), "props": args.get("props") or {},
                "hashtags": "", "pending_post_id": ""}
        st.posts[post["id"]] = post
        st.order.append(post["id"])
        return 201, post

    def patch_post(self, post_id, args):
        st = self.st
        post = st.posts.get(post_id)
        if not post:
            raise not_found("post")
        if post["user_id"] != st.bot["id"]:
            raise FORBIDDEN
        if not isinstance(args, dict):
            raise AppError(400, "api.context.invalid_body_param.app_error",
                           "Invalid or missing patch in request body.")
        self.check_post_fields(args.get("message", post["message"]), args.get("props", post["props"]))
        post.update({k: args[k] for k in ("message", "props") if k in args})
        post["edit_at"] = post["update_at"] = int(time.time() * 1000)
        return 200, post

    # ---- the control API ------------------------------------------------

    def control(self, verb, what, raw):
        try:
            args = json.loads(raw.decode("utf-8")) if raw else {}
        except ValueError:
            return self.send(400, {"error": "not JSON"})
        st = self.st
        if verb == "POST" and what == "click":
            return self.send(200, self.click(args))
        if verb == "POST" and what == "command":
            return self.send(200, self.run_command(args))
        if verb == "POST" and what == "submit_dialog":
            return self.send(200, self.submit_dialog(args))
        with st.lock:
            if verb == "POST" and what == "config":
                if "token" in args:
                    st.token = args["token"]
                for email, uid in (args.get("users") or {}).items():
                    st.users[uid] = {"id": uid, "email": email, "username": email.split("@")[0],
                                     "is_bot": False, "delete_at": 0}
                for cid in args.get("channels") or []:
                    st.channels[cid] = {"id": cid, "type": "O", "name": cid, "team_id": st.team_id,
                                        "members": {st.bot["id"]}}
                for trigger, cmd in (args.get("commands") or {}).items():
                    st.commands[trigger] = {"url": cmd["url"], "token": cmd.get("token") or new_id()}
                if "allowed_untrusted_internal_connections" in args:
                    st.allowed_internal = set(args["allowed_untrusted_internal_connections"].split())
                return self.send(200, {"ok": True, "bot_user_id": st.bot["id"]})
            if verb == "POST" and what == "fail":
                st.failures.append({"path": args.get("path"), "count": int(args.get("count", 1)),
                                    "status": int(args.get("status", 500)),
                                    "retry_after": args.get("retry_after", 1)})
                return self.send(200, {"ok": True})
            if verb == "POST" and what == "reset":
                st.reset()
                return self.send(200, {"ok": True})
            if verb == "GET" and what == "calls":
                return self.send(200, {"calls": st.calls})
            if verb == "GET" and what == "posts":
                return self.send(200, {"posts": [st.posts[i] for i in st.order]})
            if verb == "GET" and what == "dialogs":
                return self.send(200, {"dialogs": st.dialogs, "submissions": st.submissions})
            if verb == "GET" and what == "clicks":
                return self.send(200, {"clicks": st.clicks})
            if verb == "GET" and what == "commands":
                return self.send(200, {"commands": st.commands_run,
                                       "tokens": {t: c["token"] for t, c in st.commands.items()}})
            if verb == "GET" and what == "dms":
                return self.send(200, {"dms": {u: c["id"] for c in st.channels.values()
                                               if c["type"] == "D"
                                               for u in c["members"] if u != st.bot["id"]},
                                       "bot_user_id": st.bot["id"]})
        return self.send(404, {"error": "unknown control " + what})

    def click(self, args):
        """What the Mattermost server does when args["user_id"] clicks the
        button args["action_id"] of post args["post_id"]: POST the
        integration request to the action's URL, apply its update."""
        st = self.st
        with st.lock:
            post = st.posts.get(args.get("post_id", ""))
            user = st.users.get(args.get("user_id", ""))
            action = None
            for a in (post or {}).get("props", {}).get("attachments", []) or []:
                for act in a.get("actions") or []:
                    if act.get("id") == args.get("action_id"):
                        action = act
            if not post or not user:
                return {"status": 404, "error": "unknown post or user"}
            if not action:
                return {"status": 404, "error": "the post has no such action (any more)"}
            ch = st.channels[post["channel_id"]]
            # Mattermost lets only a member of the channel click; "force"
            # plays a request forged outside Mattermost
            if user["id"] not in ch["members"] and not args.get("force"):
                return {"status": 403, "error": "api.context.permissions.app_error"}
            url = action["integration"]["url"]
            if not self.integration_url_ok(url):
                return {"status": 400, "error": "api.post.do_action.action_integration.app_error",
                        "detail": "address forbidden (AllowedUntrustedInternalConnections)"}
            body = {"user_id": user["id"], "user_name": user["username"], "channel_id": ch["id"],
                    "channel_name": ch["name"], "team_id": ch.get("team_id") or "",
                    "team_domain": "", "post_id": post["id"],
                    "trigger_id": args.get("trigger_id") or new_id(), "type": "button",
                    "data_source": "", "context": action["integration"].get("context") or {}}
            # "trigger_age" (s) plays a trigger that aged before it was used
            st.triggers[body["trigger_id"]] = {"user_id": user["id"],
                                               "time": time.time() - float(args.get("trigger_age", 0))}
        req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, answer = r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            status, answer = e.code, e.read().decode("utf-8", "replace")
        except OSError as e:
            status, answer = 0, str(e)
        rec = {"time": time.time(), "request": body, "status": status, "answer": answer}
        with st.lock:
            st.clicks.append(rec)
            try:
                upd = json.loads(answer).get("update") if status == 200 else None
            except (ValueError, AttributeError):
                upd = None
            if isinstance(upd, dict):
                post.update({k: upd[k] for k in ("message", "props") if k in upd})
        return {"status": status, "answer": answer, "trigger_id": body["trigger_id"]}

    def submit_dialog(self, args):
        """What the server does when a user submits (or cancels) an open
        dialog (args["index"], default the last one): POST the submission,
        with the dialog's state, to its URL as the dialog's user (args
        "user_id" and "state" play a forged request)."""
        st = self.st
        with st.lock:
            if not st.dialogs:
                return {"status": 404, "error": "no dialog was opened"}
            d = st.dialogs[int(args.get("index", -1))]
            cancelled = bool(args.get("cancelled"))
            body = {"type": "dialog_submission", "url": d["url"],
                    "callback_id": d["dialog"].get("callback_id", ""),
                    "state": args.get("state", d["dialog"].get("state", "")),
                    "user_id": args.get("user_id") or d["user_id"], "channel_id": "",
                    "team_id": st.team_id,
                    "submission": {} if cancelled else (args.get("submission") or {}),
                    "cancelled": cancelled}
            if not self.integration_url_ok(d["url"]):
                return {"status": 400, "error": "api.dialog.submit.app_error"}
        req = urllib.request.Request(d["url"], data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, answer = r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            status, answer = e.code, e.read().decode("utf-8", "replace")
        except OSError as e:
            status, answer = 0, str(e)
        with st.lock:
            st.submissions.append({"time": time.time(), "request": body, "status": status,
                                   "answer": answer})
        return {"status": status, "answer": answer}

    def integration_url_ok(self, url):
        host = urlsplit(url).hostname or ""
        return host not in ("127.0.0.1", "localhost", "::1") or host in self.st.allowed_internal

    def run_command(self, args):
        """What the server does when args["user_id"] types args["text"]
        ("/securitybot status") in channel args["channel_id"] (default: the
        user's DM with the bot): POST the form, with the command's token,
        to its URL; the answer's text is shown to the user only."""
        st = self.st
        with st.lock:
            user = st.users.get(args.get("user_id", ""))
            line = args.get("text", "")
            trigger, _, text = line.lstrip("/").partition(" ")
            cmd = st.commands.get(trigger)
            if not user or not line.startswith("/") or not cmd:
                return {"status": 404, "error": "api.command.execute_command.not_found.app_error"}
            ch = st.channels.get(args.get("channel_id") or "")
            if not ch:
                ch = next((c for c in st.channels.values() if c["type"] == "D" and
                           c["members"] == {user["id"], st.bot["id"]}), None)
            if not self.integration_url_ok(cmd["url"]):
                return {"status": 400, "error": "api.command.execute_command.failed.app_error"}
            form = {"channel_id": ch["id"] if ch else "", "channel_name": ch["name"] if ch else "",
                    "command": "/" + trigger, "response_url": "http://127.0.0.1/hooks/commands/x",
                    "team_domain": "", "team_id": st.team_id, "text": text.strip(),
                    "token": args.get("token") or cmd["token"],
                    "trigger_id": args.get("trigger_id") or new_id(), "user_id": user["id"],
                    "user_name": user["username"]}
            st.triggers[form["trigger_id"]] = {"user_id": user["id"], "time": time.time()}
        data = urllib.parse.urlencode(form).encode()
        req = urllib.request.Request(cmd["url"], data=data, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "Token " + form["token"], "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, answer = r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            status, answer = e.code, e.read().decode("utf-8", "replace")
        except OSError as e:
            status, answer = 0, str(e)
        rec = {"time": time.time(), "request": dict(form, token="(hidden)"), "status": status,
               "answer": answer}
        with st.lock:
            st.commands_run.append(rec)
        return {"status": status, "answer": answer, "trigger_id": form["trigger_id"]}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0, help="0: an ephemeral port")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--token", default=DEFAULT_TOKEN)
    opts = ap.parse_args()
    server = Server((opts.host, opts.port), Handler)
    server.state = State(opts.token)
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
