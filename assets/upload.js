/* Team Car: drag-and-drop (or click-to-choose) upload of exports on the Data page.
 *
 * Files go to the Flask route named by the zone's data-url (multipart, one request per file),
 * never through a Dash callback. Each answer (JSON) is collected and handed to the page through
 * dash_clientside.set_props on the "data-upload-result" store, which the page's callbacks turn
 * into a readable result and a redraw. Events are delegated from the document, so the zone can be
 * re-rendered by Dash at any time.
 */
(function () {
  "use strict";
  var ZONE = "data-upload-zone";
  var RESULT = "data-upload-result";

  function zoneOf(el) {
    return el && el.closest ? el.closest("#" + ZONE) : null;
  }

  function publish(results) {
    var data = {results: results, at: Date.now()};
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props(RESULT, {data: data});
    }
  }

  function tooLarge(file, zone) {
    var limit = parseInt(zone.getAttribute("data-limit") || "0", 10);
    return limit > 0 && file.size > limit;
  }

  function readable(file, zone) {
    var accept = (zone.getAttribute("data-accept") || "").toLowerCase().split(",");
    var name = file.name.toLowerCase();
    return !accept[0] || accept.some(function (ext) { return ext && name.endsWith(ext); });
  }

  function sendOne(file, zone) {
    if (!readable(file, zone)) {
      return Promise.resolve({status: "failed", file: file.name,
        message: "This is not an export Team Car reads: upload a CSV, TSV, TXT, XLSX or ZIP file."});
    }
    if (file.size === 0) {
      return Promise.resolve({status: "failed", file: file.name, message: "The file is empty."});
    }
    if (tooLarge(file, zone)) {
      var mb = Math.round(parseInt(zone.getAttribute("data-limit"), 10) / 1048576);
      return Promise.resolve({status: "failed", file: file.name, http: 413,
        message: "The file is larger than the " + mb + " MB limit (TEAMCAR_MAX_UPLOAD_MB); " +
                 "load it with `teamcar load` instead."});
    }
    var form = new FormData();
    form.append("file", file, file.name);
    return fetch(zone.getAttribute("data-url") || "/api/upload",
                 {method: "POST", body: form, credentials: "same-origin"})
      .then(function (resp) {
        return resp.json().catch(function () { return null; }).then(function (body) {
          var out = body || {status: "failed", message: resp.status === 413
            ? "The file is larger than the server accepts."
            : "The server answered " + resp.status + "."};
          out.http = resp.status;
          out.file = out.file || file.name;
          return out;
        });
      })
      .catch(function (err) {
        return {status: "failed", file: file.name,
                message: "The upload did not reach the server (" + err + ")."};
      });
  }

  function send(files, zone) {
    if (!files || !files.length || zone.classList.contains("is-busy")) { return; }
    var list = Array.prototype.slice.call(files);
    var title = zone.querySelector(".upload-title");
    var before = title ? title.textContent : "";
    zone.classList.add("is-busy");
    zone.setAttribute("aria-busy", "true");
    var results = [];
    var chain = Promise.resolve();
    list.forEach(function (file, i) {
      chain = chain.then(function () {
        if (title) {
          title.textContent = "Loading " + file.name +
            (list.length > 1 ? " (" + (i + 1) + " of " + list.length + ")" : "") + "…";
        }
        return sendOne(file, zone).then(function (r) { results.push(r); });
      });
    });
    chain.then(function () {
      zone.classList.remove("is-busy");
      zone.removeAttribute("aria-busy");
      if (title) { title.textContent = before; }
      publish(results);
    });
  }

  function choose(zone) {
    var input = document.createElement("input");
    input.type = "file";
    input.multiple = true;
    input.accept = zone.getAttribute("data-accept") || "";
    input.style.display = "none";
    input.addEventListener("change", function () {
      send(input.files, zone);
      input.remove();
    });
    document.body.appendChild(input);
    input.click();
  }

  document.addEventListener("click", function (e) {
    var zone = zoneOf(e.target);
    if (zone && !zone.classList.contains("is-busy")) { choose(zone); }
  });
  document.addEventListener("keydown", function (e) {
    var zone = zoneOf(e.target);
    if (zone && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); choose(zone); }
  });
  ["dragenter", "dragover"].forEach(function (type) {
    document.addEventListener(type, function (e) {
      var zone = zoneOf(e.target);
      if (zone) {
        e.preventDefault();
        if (e.dataTransfer) { e.dataTransfer.dropEffect = "copy"; }
        zone.classList.add("is-dragging");
      } else if (document.getElementById(ZONE)) {
        e.preventDefault();          // a file dropped beside the zone must not open in the tab
      }
    });
  });
  document.addEventListener("dragleave", function (e) {
    var zone = zoneOf(e.target);
    if (zone && !zone.contains(e.relatedTarget)) { zone.classList.remove("is-dragging"); }
  });
  document.addEventListener("drop", function (e) {
    var zone = zoneOf(e.target);
    if (!zone) {
      if (document.getElementById(ZONE)) { e.preventDefault(); }
      return;
    }
    e.preventDefault();
    zone.classList.remove("is-dragging");
    send(e.dataTransfer && e.dataTransfer.files, zone);
  });
})();
