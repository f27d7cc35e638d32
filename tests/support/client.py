"""Driving the served app through Flask's test client: signing in and calling callbacks over HTTP."""

from __future__ import annotations

import re

PASSWORD = "correct horse battery"


def sign_in(client, name: str, password: str = PASSWORD, next: str = "/"):
    """Fetch the sign-in form (for its token) and post it."""
    page = client.get("/login?next=" + next)
    token = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post(
        "/login", data={"name": name, "password": password, "csrf": token, "next": next}
    )


def dash_call(
    client, app, output: str, inputs: dict, state: dict | None = None, changed: str | None = None
):
    """POST to ``/_dash-update-component`` as the browser would, for the callback whose outputs
    include ``output`` (``id.property``); values not given are None.

    The callback is looked up where the browser finds it, in ``/_dash-dependencies`` (so the
    client must be allowed to read that).
    """
    del app  # the served app answers, whichever object it is

    def parts(key: str) -> list[str]:
        return [o.split("@")[0] for o in key.strip(".").split("...")]

    deps = client.get("/_dash-dependencies").json
    spec = next(d for d in deps if output in parts(d["output"]))
    key = spec["output"]
    outs = [dict(zip(("id", "property"), o.rsplit(".", 1), strict=True)) for o in parts(key)]
    # A pattern-matching input (``{"type": ..., "index": ALL}``) sends the list of its matches.
    ins = [
        {
            **i,
            "value": inputs.get(
                f"{i['id']}.{i['property']}", [] if str(i["id"]).startswith("{") else None
            ),
        }
        for i in spec["inputs"]
    ]
    sts = [{**s, "value": (state or {}).get(f"{s['id']}.{s['property']}")} for s in spec["state"]]
    body = {
        "output": key,
        "outputs": outs if key.startswith("..") else outs[0],
        "inputs": ins,
        "state": sts,
        "changedPropIds": [changed or f"{ins[0]['id']}.{ins[0]['property']}"],
    }
    return client.post("/_dash-update-component", json=body)
