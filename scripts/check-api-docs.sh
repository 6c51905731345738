#!/usr/bin/env bash
# Opens the API's browser docs (/api/docs/) in headless Chromium and checks that every
# operation of /api/v1/openapi.json is listed there and that Swagger UI shows no error
# once every operation is opened.
# Usage: scripts/check-api-docs.sh [--screenshot FILE] [BASE_URL]
#   Without BASE_URL it builds Presale and serves a new SQLite database in a temp dir.
set -euo pipefail
screenshot="" base=""
while [ $# -gt 0 ]; do
  case "$1" in
    --screenshot) screenshot=$(realpath -m "$2"); shift 2 ;;
    *) base=${1%/}; shift ;;
  esac
done
cd "$(dirname "$0")/.."
scripts/install-browser.sh
work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ -z "$base" ]; then
  cargo build -q -p presale
  # Port 0: the system picks a free port, and the server prints the address it got.
  PRESALE_DATABASE_URL="sqlite://$work/presale.sqlite3" \
    "${CARGO_TARGET_DIR:-target}/debug/presale" serve --demo --bind 127.0.0.1:0 >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 300); do
    base=$(sed -n 's/^Presale is listening on \(http[^ ]*\).*/\1/p' "$work/server.log")
    if [ -n "$base" ] && curl -fs -o /dev/null "$base/healthz"; then break; fi
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    base="" && sleep 0.1
  done
  [ -n "$base" ] || { echo "the server did not answer /healthz" >&2; cat "$work/server.log" >&2; exit 1; }
fi

curl -fsS "$base/api/v1/openapi.json" -o "$work/openapi.json"

# Python drives Chromium over the DevTools pipe (its fds 3 and 4): it opens the docs, waits
# for Swagger UI, opens every operation and schema so that their references get resolved,
# then compares the (method, path) pairs shown with the document's.
status=0
python3 - "$base/api/docs/" "$work" <<'PY' || status=$?
import atexit, json, os, subprocess, sys
url, work = sys.argv[1], sys.argv[2]
doc = json.load(open(f"{work}/openapi.json"))
methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
wanted = {(m.upper(), p) for p, item in doc.get("paths", {}).items() for m in item if m in methods}

def refs(node, where=""):
    """Yields (JSON pointer, target) for every $ref of the document."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        if key == "$ref" and isinstance(value, str): yield where, value
        else: yield from refs(value, f"{where}/{str(key).replace('~', '~0').replace('/', '~1')}")
def resolves(ref):
    node = doc
    for key in ref.removeprefix("#/").split("/") if ref.startswith("#/") else [None]:
        key = key and key.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or key not in node: return False
        node = node[key]
    return True
# Swagger UI's resolver errors do not say where; these do.
broken = [f"{where} -> {ref}" for where, ref in refs(doc) if not resolves(ref)]

PAGE = r"""(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const all = s => [...document.querySelectorAll(s)];
  const errors = () => all(".errors-wrapper .error-wrapper, .fallback, .version-pragma, .loading-container .title")
    .map(e => e.innerText.trim().replace(/\s+/g, " "));
  const name = o => [o.querySelector(".opblock-summary-method")?.textContent, o.querySelector("[data-path]")?.dataset.path];
  // Waits until the page has not changed for `quiet` ms (at most 60 s).
  let changed = Date.now();
  new MutationObserver(() => { changed = Date.now(); })
    .observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  const settle = async (quiet = 1500) => {
    const start = Date.now();
    do await sleep(50); while (Date.now() - changed < quiet && Date.now() - start < 60000);
  };
  for (let t = 0; t < 30000 && !all(".opblock-tag, .errors-wrapper, .loading-container .title").length; t += 250) await sleep(250);
  await settle();
  for (const tag of all('.opblock-tag[data-is-open="false"]')) { tag.click(); await settle(300); }
  // Errors shown from the start, then each operation opened in turn (all at once takes
  // minutes), noting the errors it brought and whether its details rendered.
  const problems = errors().map(e => `page: ${e}`);
  for (const o of all(".opblock")) {
    const before = errors().length, button = o.querySelector(".opblock-summary-control");
    button.click(); await settle(300);
    if (!o.querySelector(".opblock-body")) problems.push(`${name(o).join(" ")}: its details did not render`);
    for (const e of errors().slice(before)) problems.push(`${name(o).join(" ")}: ${e}`);
    button.click();
  }
  const before = errors().length;
  // The schemas at the bottom (OpenAPI 3.1 draws them as JSON Schema 2020-12, 3.0 as models).
  for (const b of all(".models .json-schema-2020-12-accordion__icon--collapsed, .models .model-box-control[aria-expanded=false]"))
    b.closest("button").click();
  await settle();
  for (const e of errors().slice(before)) problems.push(`schemas: ${e}`);
  return { shown: all(".opblock").map(name), problems };
})()"""

to_chrome, from_chrome = os.pipe(), os.pipe()
def child_fds():
    a, b = os.dup(to_chrome[0]), os.dup(from_chrome[1])
    os.dup2(a, 3); os.dup2(b, 4)
log = open(f"{work}/chromium.log", "w")
chromium = subprocess.Popen(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                             f"--user-data-dir={work}/profile", "about:blank"],
                            preexec_fn=child_fds, close_fds=False, stdout=log, stderr=log)
atexit.register(lambda: chromium.kill() or chromium.wait())
os.close(to_chrome[0]); os.close(from_chrome[1])
out, inp, buf, n = os.fdopen(to_chrome[1], "wb"), os.fdopen(from_chrome[0], "rb"), b"", 0
def call(method, session=None, **params):
    """Sends one DevTools command and returns its answer (events in between are skipped)."""
    global buf, n
    n += 1
    message = {"id": n, "method": method, "params": params} | ({"sessionId": session} if session else {})
    out.write(json.dumps(message).encode() + b"\0")
    out.flush()
    while True:
        while b"\0" not in buf:
            chunk = inp.read1(1 << 16)
            if not chunk: sys.exit(f"chromium stopped; see its log:\n{open(f'{work}/chromium.log').read()}")
            buf += chunk
        line, buf = buf.split(b"\0", 1)
        answer = json.loads(line)
        if answer.get("id") == n:
            if "error" in answer: sys.exit(f"chromium: {method}: {answer['error']}")
            return answer["result"]
target = call("Target.createTarget", url="about:blank")["targetId"]
tab = call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
call("Emulation.setDeviceMetricsOverride", tab, width=1280, height=2000, deviceScaleFactor=1, mobile=False)
opened = call("Page.navigate", tab, url=url)
if "errorText" in opened: sys.exit(f"cannot open {url}: {opened['errorText']}")
page = call("Runtime.evaluate", tab, expression=PAGE, awaitPromise=True, returnByValue=True)
if "exceptionDetails" in page: sys.exit(f"the page check failed: {page['exceptionDetails']}")
result = page["result"]["value"]
shown = {tuple(pair) for pair in result["shown"]}
missing = sorted(wanted - shown, key=lambda o: (o[1], o[0]))
for method, path in missing: print(f"missing: {method} {path}", file=sys.stderr)
for problem in dict.fromkeys(result["problems"]): print(f"error shown: {problem}", file=sys.stderr)
for ref in broken: print(f"unresolved $ref at {ref}", file=sys.stderr)
print(f"{len(wanted)} operations in the document, {len(wanted & shown)} listed in the browser docs")
sys.exit(1 if missing or result["problems"] or broken or not wanted else 0)
PY

if [ -n "$screenshot" ]; then
  # The docs as a reader first sees them: tags open, operations closed.
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,2000 \
    --virtual-time-budget=15000 --user-data-dir="$work/shot" --screenshot="$screenshot" \
    "$base/api/docs/" >"$work/screenshot.log" 2>&1 || { cat "$work/screenshot.log" >&2; exit 1; }
  echo "screenshot: $screenshot"
fi
exit "$status"
