/// The viewer's stylesheet and script, compiled into the binary so that
/// `archive serve` works from any directory and needs nothing from the
/// network. The pages work without the script; it adds the audio-to-
/// transcript sync and browser-local times.
enum Assets {
    static let css = #"""
    :root { --fg: #1d232b; --muted: #5f6b7a; --line: #d9dee5; --bg: #f7f8fa; --accent: #2757c9;
            --agent: #eef3ff; --user: #f2f2f2; --eou: #8e9aaf; --llm: #d9822b; --tts: #3a9a6b; --now: #fff4c2; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
    header.top { display: flex; gap: 1.5em; align-items: baseline; padding: .6em 1.2em; background: #1d232b; color: #fff; }
    header.top a { color: #cfd8e6; text-decoration: none; } header.top a.here { color: #fff; font-weight: 600; }
    header.top .brand { font-weight: 700; color: #fff; }
    main { padding: 1em 1.2em 3em; max-width: 1200px; }
    h1 { font-size: 1.35em; margin: .2em 0 .6em; } h2 { font-size: 1.1em; margin: 1.4em 0 .5em; }
    a { color: var(--accent); }
    table { border-collapse: collapse; width: 100%; background: #fff; }
    th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid var(--line); vertical-align: top; }
    th { font-weight: 600; color: var(--muted); background: #fbfcfd; }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
    td.summary { max-width: 28em; color: var(--muted); }
    td.id, td.when { white-space: nowrap; }
    form.filters { display: flex; flex-wrap: wrap; gap: .5em 1em; align-items: end; margin-bottom: 1em; padding: .7em; background: #fff; border: 1px solid var(--line); }
    form.filters label { display: flex; flex-direction: column; font-size: .85em; color: var(--muted); }
    form.filters input, form.filters select { font: inherit; padding: .2em .35em; min-width: 8em; }
    form.filters label.check { flex-direction: row; gap: .3em; align-items: center; }
    form.filters label.check input { min-width: 0; }
    .pager { display: flex; gap: 1em; margin: .8em 0; }
    .error { color: #a4262c; background: #fdecee; padding: .6em .8em; border: 1px solid #f1b9bf; }
    .muted { color: var(--muted); }
    dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; background: #fff; padding: .8em; border: 1px solid var(--line); margin: 0; }
    dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
    .local { color: var(--muted); margin-left: .5em; }
    .turns { list-style: none; padding: 0; margin: 0; }
    .turn { display: grid; grid-template-columns: 6em 1fr 210px; gap: .8em; padding: .5em .6em; margin: .3em 0; border-radius: 6px; background: var(--user); }
    .turn.agent { background: var(--agent); }
    .turn.seekable { cursor: pointer; } .turn.playing { outline: 2px solid #e0b400; background: var(--now); }
    .turn .who { font-weight: 600; color: var(--muted); font-size: .9em; } .turn .at { display: block; font-weight: 400; }
    .turn .tools { font-family: ui-monospace, monospace; font-size: .85em; color: var(--muted); white-space: pre-wrap; margin-top: .3em; }
    .turn .interrupted { color: #a4262c; font-size: .85em; }
    .legend span { margin-right: 1em; } .legend i { display: inline-block; width: .8em; height: .8em; margin-right: .3em; vertical-align: -1px; }
    .legend .eou { background: var(--eou); } .legend .llm { background: var(--llm); } .legend .tts { background: var(--tts); }
    svg text { font: 11px system-ui, sans-serif; fill: var(--muted); }
    .bar-eou { fill: var(--eou); } .bar-llm { fill: var(--llm); } .bar-tts { fill: var(--tts); } .bar-total { fill: #6d7fa3; }
    .series-0 { stroke: #3a9a6b; fill: #3a9a6b; } .series-1 { stroke: #d9822b; fill: #d9822b; } .series-2 { stroke: #a4262c; fill: #a4262c; }
    .series-3 { stroke: #2757c9; fill: #2757c9; } .series-4 { stroke: #8e5bb5; fill: #8e5bb5; } .series-5 { stroke: #5f6b7a; fill: #5f6b7a; }
    .line { fill: none; stroke-width: 2; } .axis { stroke: var(--line); }
    audio { width: 100%; margin: .4em 0 1em; }
    pre.raw { background: #fff; border: 1px solid var(--line); padding: .8em; overflow: auto; max-height: 40em; font-size: .85em; }
    mark { background: #ffe58a; padding: 0 .1em; }
    .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 1em; }
    .chart { background: #fff; border: 1px solid var(--line); padding: .6em; } .chart h3 { margin: 0 0 .4em; font-size: .95em; }
    """#

    static let js = #"""
    // Progressive enhancement only: every page works without this file.
    (function () {
      // A call's times: the server writes UTC; add the browser's own zone beside it.
      document.querySelectorAll('dl.facts time[datetime]').forEach(function (el) {
        var d = new Date(el.getAttribute('datetime'));
        if (isNaN(d)) return;
        var span = document.createElement('span');
        span.className = 'local';
        span.textContent = '(' + d.toLocaleString() + ' local)';
        el.after(span);
      });
      // The recording and the transcript: a click on a turn seeks the audio
      // to it, and the turn being heard is highlighted as it plays.
      var audio = document.querySelector('audio[data-sync]');
      if (!audio) return;
      var turns = Array.prototype.slice.call(document.querySelectorAll('.turn[data-start]'));
      turns.forEach(function (turn) {
        turn.classList.add('seekable');
        turn.addEventListener('click', function () {
          audio.currentTime = parseFloat(turn.getAttribute('data-start'));
          var playing = audio.play();
          if (playing && playing.catch) playing.catch(function () {});
        });
      });
      // A seek lands on an audio frame, which can be a few milliseconds
      // before the turn's start: 50 ms of slack keeps the clicked turn lit.
      function highlight() {
        var t = audio.currentTime + 0.05, current = null;
        turns.forEach(function (turn) {
          var start = parseFloat(turn.getAttribute('data-start'));
          var end = parseFloat(turn.getAttribute('data-end'));
          if (t >= start && (isNaN(end) || t < end)) current = turn;
        });
        turns.forEach(function (turn) { turn.classList.toggle('playing', turn === current); });
      }
      audio.addEventListener('timeupdate', highlight);
      audio.addEventListener('seeked', highlight);
    })();
    """#
}
