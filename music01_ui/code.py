""" "Show as code": the calls that made a piece, in Python and curl, with ``$AIML_API_KEY`` or ``$REPLICATE_API_TOKEN``."""

from __future__ import annotations

import json

from music01_core.models import LEGACY_MODEL, get_model, get_service
from music01_core.providers import adapter_name
from music01_core.providers.aimlapi import job_payload
from music01_core.settings import AudioSetting


def _sh(text: str) -> str:
    """Quote for a POSIX shell's single quotes."""
    return text.replace("'", "'\\''")


def code_panel(info: dict | None) -> str:
    if not info:
        return "Generate something to see the equivalent code."
    m = get_model(info.get("model") or LEGACY_MODEL)
    # One renderer per adapter of the registry: the code shows that adapter's wire format.
    render = _RENDERERS.get(adapter_name(m))
    if render is None:
        return f"No code view for {m.id}'s provider yet."
    return render(info, m)


def _job_code(info: dict, m) -> str:
    class _Ref:  # the reference as it was sent: a URL, a link or Base64 (shown shortened)
        value = {
            "url": (info.get("reference") or {}).get("url") or "https://example.com/reference.mp3",
            "base64": "data:audio/mpeg;base64,<the clip, Base64-encoded>",
            "link": "<the app's short-lived link to your clip>",
        }.get((info.get("reference") or {}).get("kind"), "https://example.com/reference.mp3")

    s = info.get("audio_setting") or {}
    rate = next((v for k, v in s.items() if k.endswith("sample_rate")), 44100)
    setting = (
        AudioSetting(sample_rate=int(rate), bitrate=int(s.get("bitrate") or 256000), format=s.get("format") or "mp3")
        if s
        else None
    )
    payload = job_payload(
        m,
        lyrics=info.get("lyrics") or None,
        prompt=info.get("prompt"),
        reference=_Ref() if m.takes_reference else None,
        audio_setting=setting,
        options=info.get("options") or None,
    )
    ext = (s.get("format") or "mp3") if s else "mp3"
    billed = "# 1 billed generation (the POST). Polling and downloading are free.\n"
    py = (
        "import os, time, requests\n\n"
        "API = 'https://api.aimlapi.com/v2/generate/audio'\n"
        "headers = {'Authorization': f\"Bearer {os.environ['AIML_API_KEY']}\"}\n"
        + billed
        + f"payload = {json.dumps(payload, ensure_ascii=False, indent=1)}\n"
        "job = requests.post(API, json=payload, headers=headers, timeout=60).json()\n"
        "gen_id = job['id']  # keep it: polling this id again never bills twice\n"
        "for _ in range(60):  # up to 10 minutes\n"
        "    time.sleep(10)\n"
        "    status = requests.get(API, params={'generation_id': gen_id}, headers=headers, timeout=60).json()\n"
        "    if status['status'] == 'completed':\n"
        "        audio = requests.get(status['audio_file']['url'], timeout=60).content  # no key sent to the CDN\n"
        f"        open('music01.{ext}', 'wb').write(audio)\n"
        "        break\n"
        "    if status['status'] == 'error':\n"
        "        raise SystemExit(status['error'])\n"
        "\n# or, with this project's library (it also saves the id first and can resume):\n"
        "# from music01_core.backends import open_backend\n"
        f"# open_backend('api').make(MusicRequest(model={m.id!r}, ...))\n"
    )
    curl = _job_curl(payload, ext, billed)
    return f"**Python (plain requests: submit, then a poll loop)**\n```python\n{py}```\n**curl**\n```bash\n{curl}```"


def _job_curl(payload: dict, ext: str, billed: str) -> str:
    """The job calls as a shell script: submit, poll, download."""
    return (
        "# " + billed.strip("# \n") + "\n"
        "ID=$(curl -sS https://api.aimlapi.com/v2/generate/audio \\\n"
        "  -H \"Authorization: Bearer $AIML_API_KEY\" -H 'Content-Type: application/json' \\\n"
        f"  -d '{_sh(json.dumps(payload, ensure_ascii=False))}' \\\n"
        "  | python -c \"import json,sys; print(json.load(sys.stdin)['id'])\")\n"
        "while true; do\n"
        "  sleep 10\n"
        '  S=$(curl -sS -G https://api.aimlapi.com/v2/generate/audio --data-urlencode "generation_id=$ID" \\\n'
        '    -H "Authorization: Bearer $AIML_API_KEY")\n'
        '  case "$S" in *\'"completed"\'*|*\'"error"\'*) break;; esac\n'
        "done\n"
        "URL=$(echo \"$S\" | python -c \"import json,sys; print(json.load(sys.stdin)['audio_file']['url'])\")\n"
        f'curl -sS -o music01.{ext} "$URL"\n'
    )


def _music01_code(info: dict, m=None) -> str:
    s = info.get("audio_setting") or {}
    payload = {"model": "music-01", "lyrics": info.get("lyrics", "")}
    if info.get("voice_id"):
        payload["refer_voice"] = info["voice_id"]
    if info.get("instrumental_id"):
        payload["refer_instrumental"] = info["instrumental_id"]
    payload["audio_setting"] = s
    mode = info.get("backend") or "api"  # the backend that made it is also the mode that opens it again
    py = (
        "# music-01 is retired by the provider (August 2026): this runs offline or against the emulator.\n"
        "from music01_core.backends import open_backend\n"
        "from music01_core.settings import AudioSetting\n\n"
        f"backend = open_backend({mode!r})"
        + ("  # the key comes from $AIML_API_KEY\n" if mode == "api" else "  # no key, no network\n")
        + f"result = backend.generate(\n    {info.get('lyrics', '')!r},\n"
        f"    voice_id={info.get('voice_id')!r},\n    instrumental_id={info.get('instrumental_id')!r},\n"
        f"    audio_setting=AudioSetting(sample_rate={s.get('sample_rate')}, bitrate={s.get('bitrate')}, "
        f"format={s.get('format')!r}),\n)\nresult.save('music01.{s.get('format', 'mp3')}')\n"
    )
    curl = (
        "curl -sS https://api.aimlapi.com/v2/generate/audio/minimax/generate \\\n"
        "  -H \"Authorization: Bearer $AIML_API_KEY\" -H 'Content-Type: application/json' \\\n"
        f"  -d '{_sh(json.dumps(payload, ensure_ascii=False))}' \\\n"
        '  | python -c "import json,sys; d=json.load(sys.stdin); '
        f"open('out.{s.get('format', 'mp3')}','wb').write(bytes.fromhex(d['data']['audio']))\"\n"
    )
    return f"**Python (music01_core)**\n```python\n{py}```\n**curl**\n```bash\n{curl}```"


def _prediction_input(info: dict, m) -> dict:
    """The ``input`` of a Replicate prediction for the piece, each field under the name its row gives."""
    from music01_core.errors import InputError

    body: dict = {}
    if m.lyrics is not None and info.get("lyrics"):
        body[m.lyrics.api_field] = info["lyrics"]
    if m.prompt is not None and info.get("prompt"):
        body[m.prompt.api_field] = info["prompt"]
    if m.takes_reference:
        try:
            field = m.reference.field_for(info.get("purpose") or "song")
        except InputError:
            field = m.reference.field_for("song")
        ref = info.get("reference") or {}
        url = ref.get("url") if ref.get("kind") == "url" else None
        # A file this app uploaded for you lives an hour behind your token: show where yours goes instead.
        body[field] = url if url and "/v1/files/" not in url else "<a public URL, or the urls.get of the upload below>"
    s, spec = info.get("audio_setting") or {}, m.audio_setting
    if spec is not None and s:
        body[spec.sample_rate_field] = next((v for k, v in s.items() if k.endswith("sample_rate")), 44100)
        body["bitrate"] = s.get("bitrate")
        if spec.format_field:
            body[spec.format_field] = s.get("format") or m.returns[0]
    return body


def _prediction_code(info: dict, m) -> str:
    """Replicate: (upload a file,) create the prediction, poll it, download its output."""
    ext = ((info.get("audio_setting") or {}).get("format") or m.returns[0]) if m.audio_setting else m.returns[0]
    ext = ext if ext in m.returns else m.returns[0]
    payload = {"input": _prediction_input(info, m)}
    service = get_service(m.provider)  # its public address and the variable its token lives in
    api, env = f"{service.default_base}/v1", service.token_envs[0]
    route = f"{api}/models/{m.remote_id}/predictions"
    upload = (
        "# A file on this computer goes up first (not billed); the input names its urls.get:\n"
        "# with open('reference.mp3', 'rb') as f:\n"
        "#     ref = requests.post(f'{API}/files', files={'content': f}, headers=headers, timeout=60).json()\n"
        "# payload['input'][...] = ref['urls']['get']\n"
        if m.takes_reference
        else ""
    )
    price = f"# {m.list_price.describe()}\n" if m.list_price is not None else ""
    py = (
        "import os, time, requests\n\n"
        f"API = '{api}'\n"
        f"headers = {{'Authorization': f\"Bearer {{os.environ['{env}']}}\"}}\n"
        f"payload = {json.dumps(payload, ensure_ascii=False, indent=1)}\n"
        + upload
        + "# 1 billed prediction (the POST), sent once. Polling and downloading are free.\n"
        + price
        + f"p = requests.post(f'{{API}}/models/{m.remote_id}/predictions', json=payload, headers=headers, "
        "timeout=60).json()\n"
        "while p['status'] not in ('succeeded', 'failed', 'canceled', 'aborted'):\n"
        "    time.sleep(5)\n"
        "    p = requests.get(p['urls']['get'], headers=headers, timeout=60).json()\n"
        "if p['status'] != 'succeeded':\n"
        "    raise SystemExit(p.get('error') or p['status'])\n"
        "out = p['output'][0] if isinstance(p['output'], list) else p['output']\n"
        f"open('music01.{ext}', 'wb').write(requests.get(out, timeout=60).content)\n"
        f"print('predict time', p['metrics'].get('predict_time'), 's')\n"
    )
    curl = (
        "# 1 billed prediction; 'Prefer: wait' holds the answer up to 60 s, then poll its urls.get\n"
        f"curl -sS -X POST {route} \\\n"
        f"  -H \"Authorization: Bearer ${env}\" -H 'Content-Type: application/json' "
        "-H 'Prefer: wait' \\\n"
        f"  -d '{_sh(json.dumps(payload, ensure_ascii=False))}'\n"
    )
    return f"**Python (plain requests: create, then a poll loop)**\n```python\n{py}```\n**curl**\n```bash\n{curl}```"


_RENDERERS = {
    "aimlapi/job": _job_code,
    "aimlapi/music01": _music01_code,
    "replicate/prediction": _prediction_code,
}
