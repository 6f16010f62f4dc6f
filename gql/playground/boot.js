// Starts GraphiQL (served by this server; see __init__.py). A file, not an inline script:
// the page's Content-Security-Policy allows scripts from this server only.
(function () {
  "use strict";
  var settings = JSON.parse(document.getElementById("playground-settings").textContent);
  var root = document.getElementById("graphiql");
  if (!window.React || !window.ReactDOM || !window.GraphiQL) {
    root.textContent =
      "GraphiQL's scripts did not load. Install them on the server (make run) or allow the CDN, then reload.";
    return;
  }
  var fetcher = window.GraphiQL.createFetcher({ url: new URL(settings.url, window.location.href).href });
  window.ReactDOM.createRoot(root).render(
    window.React.createElement(window.GraphiQL, {
      fetcher: fetcher,
      defaultQuery: settings.defaultQuery,
      defaultEditorToolsVisibility: "headers",
      shouldPersistHeaders: true,
    })
  );
})();
