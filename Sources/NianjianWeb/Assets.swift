/// The console's static files: no inline script or style anywhere (the CSP forbids them).
enum Assets {
    /// Reloads the page every `data-refresh` seconds while the body asks for it (a run is going).
    static let refreshScript = """
        (function () {
          "use strict";
          var body = document.body;
          var seconds = body ? parseInt(body.getAttribute("data-refresh") || "0", 10) : 0;
          if (seconds > 0) {
            window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
          }
          document.querySelectorAll("[data-confirm]").forEach(function (element) {
            element.addEventListener("click", function (event) {
              if (!window.confirm(element.getAttribute("data-confirm"))) { event.preventDefault(); }
            });
          });
          var all = document.getElementById("select-all");
          if (all) {
            all.addEventListener("change", function () {
              document.querySelectorAll("input[name=inspection_ids]").forEach(function (box) { box.checked = all.checked; });
            });
          }
        })();
        """

    static let stylesheet = """
        :root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --accent: #0b6bcb; --bad: #c62828; --ok: #2e7d32; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.5 system-ui, "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; color: var(--ink); background: #f5f7fa; }
        header { display: flex; align-items: center; gap: 16px; padding: 10px 24px; background: #102a43; color: #fff; }
        header a { color: #fff; text-decoration: none; }
        header .brand { font-weight: 700; font-size: 16px; }
        header nav { display: flex; gap: 14px; flex: 1; }
        header form { margin: 0; }
        header button { background: transparent; color: #fff; border: 1px solid #9fb3c8; }
        main { max-width: 1200px; margin: 0 auto; padding: 20px 24px 48px; }
        h1 { font-size: 22px; margin: 6px 0 16px; }
        h2 { font-size: 17px; margin: 24px 0 8px; }
        a { color: var(--accent); }
        table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
        th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { background: #f0f4f8; font-weight: 600; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        .cards { display: flex; flex-wrap: wrap; gap: 12px; }
        .card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 16px; min-width: 130px; }
        .card .value { font-size: 24px; font-weight: 700; }
        .card .label { color: var(--muted); }
        .state { display: inline-block; padding: 0 8px; border-radius: 10px; background: #e4e7eb; font-size: 12px; }
        .state-approved { background: #d7f0dc; } .state-rejected, .state-failed { background: #fbdada; }
        .state-needs_materials { background: #fdefc8; } .state-in_review { background: #dbeafe; }
        .muted { color: var(--muted); }
        .error { background: #fdecea; border: 1px solid #f5c2c0; color: var(--bad); padding: 8px 12px; border-radius: 4px; }
        .notice { background: #e8f5e9; border: 1px solid #b7dfb9; padding: 8px 12px; border-radius: 4px; }
        form.inline { display: inline; }
        form.filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin-bottom: 12px; }
        label { display: block; color: var(--muted); font-size: 12px; }
        input, select, textarea, button { font: inherit; padding: 4px 8px; border: 1px solid #bcccdc; border-radius: 4px; }
        button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
        button.secondary { background: #fff; color: var(--accent); }
        button.danger { background: var(--bad); border-color: var(--bad); }
        .actions { display: flex; gap: 8px; flex-wrap: wrap; align-items: end; margin: 12px 0; }
        .pager { margin: 12px 0; display: flex; gap: 12px; }
        dl.facts { display: grid; grid-template-columns: 180px 1fr; gap: 4px 16px; background: #fff; border: 1px solid var(--line); padding: 12px; margin: 0; }
        dl.facts dt { color: var(--muted); }
        dl.facts dd { margin: 0; }
        .login { max-width: 360px; margin: 80px auto; background: #fff; border: 1px solid var(--line); padding: 24px; border-radius: 6px; }
        .login input { width: 100%; margin-bottom: 12px; }
        svg.chart { background: #fff; border: 1px solid var(--line); }
        .legend span { margin-right: 12px; }
        .sw { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
        .sw-approved, .bar-approved { background: #43a047; fill: #43a047; }
        .sw-in_review, .bar-in_review { background: #1e88e5; fill: #1e88e5; }
        .sw-needs_materials, .bar-needs_materials { background: #f9a825; fill: #f9a825; }
        .sw-rejected, .bar-rejected { background: #e53935; fill: #e53935; }
        .sw-failed, .bar-failed { background: #6d4c41; fill: #6d4c41; }
        pre { white-space: pre-wrap; word-break: break-word; margin: 0; font-size: 12px; }
        """
}
