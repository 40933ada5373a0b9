"""Where the time goes: pyinstrument over the same requests, served in-process by the
product app (production settings, the benchmark's database)."""
from pyinstrument import Profiler


def profile_requests(app, requests, path=None):
    """Profile ``requests`` (bench.load.Request) through the app; return the text tree."""
    client = app.test_client()
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for request in requests:
        client.open(request.path, method=request.method, headers=request.headers,
                    data=request.body)
    profiler.stop()
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    if path:
        with open(path, "w") as out:
            out.write(text)
    return text


def top_lines(text, lines=40):
    return "\n".join(text.splitlines()[:lines])
