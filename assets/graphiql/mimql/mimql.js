// mimql's GraphiQL page: sends the credentials typed above as HTTP Basic with every request.
(function () {
  "use strict";
  var user = document.getElementById("mimql-user");
  var password = document.getElementById("mimql-password");

  // Basic credentials of the form, UTF-8 encoded (btoa alone only takes Latin-1).
  function basic() {
    if (!user.value) return null;
    var bytes = new TextEncoder().encode(user.value + ":" + password.value);
    var binary = "";
    bytes.forEach(function (b) { binary += String.fromCharCode(b); });
    return "Basic " + btoa(binary);
  }

  document.getElementById("mimql-credentials").addEventListener("submit", function (e) {
    e.preventDefault();
  });

  // The endpoint is the page's own address (GET from a browser gives this page).
  var url = window.location.pathname;
  var fetcher = GraphiQL.createFetcher({
    url: url,
    fetch: function (input, init) {
      init = init || {};
      var headers = new Headers(init.headers || {});
      var auth = basic();
      if (auth) headers.set("Authorization", auth);
      headers.set("Accept", "application/json");
      init.headers = headers;
      return window.fetch(input, init);
    },
  });

  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: document.body.dataset.defaultQuery + "\n",
      shouldPersistHeaders: false,
    })
  );
})();
