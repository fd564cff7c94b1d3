// The offline check of a certificate's QR code (templates/registry/check.html).
//
// Reads a photo of the code with jsQR (static/vendor/jsqr), and checks the statement's Ed25519
// signature with the browser's Web Crypto and the published keys the page carries: nothing is
// sent anywhere. A browser without Ed25519 in Web Crypto submits the form instead, and the
// portal checks the text with the same published keys (and nothing else).
(function () {
  "use strict";

  var form = document.querySelector("[data-certificate-check]");
  if (!form) {
    return;
  }
  var keys = JSON.parse(form.getAttribute("data-keys") || "[]");
  var zones = JSON.parse(form.getAttribute("data-zones") || "{}");
  var sectors = JSON.parse(form.getAttribute("data-sectors") || "{}");
  var textarea = form.querySelector("textarea");
  var photoField = form.querySelector("[data-qr-photo]");
  var photo = document.getElementById("qr-photo");
  var output = document.getElementById("check-result");
  // A photo is read scaled down first (quick), then, if no code was found, at up to 4096 pixels
  // (a whole A4 page in a phone's photo: the code is a small part of it).
  var SIDES = [1600, 4096];
  var lang = document.documentElement.lang || "en";

  function bytesFromBase64url(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text)) {
      throw new Error("not base64url");
    }
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes;
  }

  function jsonFromBase64url(text) {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytesFromBase64url(text)));
  }

  // The statement in what a QR reader gives: the verify address with ?s=, or the bare statement.
  function tokenFrom(text) {
    text = text.replace(/\s+/g, "");
    if (text.indexOf("?") >= 0 || text.indexOf("/") >= 0) {
      try {
        return new URL(text, window.location.href).searchParams.get("s") || "";
      } catch (error) {
        return "";
      }
    }
    return text;
  }

  function importKey(jwk) {
    return window.crypto.subtle.importKey(
      "jwk",
      { kty: "OKP", crv: "Ed25519", x: jwk.x },
      { name: "Ed25519" },
      false,
      ["verify"]
    );
  }

  var supported = null;
  function ed25519Supported() {
    if (supported === null) {
      if (!window.crypto || !window.crypto.subtle || !window.TextDecoder || keys.length === 0) {
        supported = Promise.resolve(false);
      } else {
        supported = importKey(keys[0]).then(
          function () { return true; },
          function () { return false; }
        );
      }
    }
    return supported;
  }

  // {verdict: "valid" | "forged" | "unreadable", reason, claims, kid}
  function check(text) {
    var token = tokenFrom(text);
    var parts = token.split(".");
    var header;
    var claims;
    try {
      if (parts.length !== 3) {
        throw new Error("not a compact JWS");
      }
      header = jsonFromBase64url(parts[0]);
      claims = jsonFromBase64url(parts[1]);
      bytesFromBase64url(parts[2]);
    } catch (error) {
      return Promise.resolve({ verdict: "unreadable" });
    }
    var jwk = keys.filter(function (key) { return key.kid === header.kid; })[0];
    if (!jwk || header.alg !== "Ed25519") {
      return Promise.resolve({ verdict: "forged", reason: "unknown-key" });
    }
    var signed = new TextEncoder().encode(parts[0] + "." + parts[1]);
    return importKey(jwk)
      .then(function (key) {
        return window.crypto.subtle.verify(
          { name: "Ed25519" }, key, bytesFromBase64url(parts[2]), signed
        );
      })
      .then(function (valid) {
        if (!valid || typeof claims !== "object" || claims === null) {
          return { verdict: "forged", reason: "bad-signature" };
        }
        return { verdict: "valid", claims: claims, kid: header.kid };
      });
  }

  function longDate(iso) {
    var parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso));
    if (!parts) {
      return String(iso);
    }
    var day = new Date(Date.UTC(+parts[1], +parts[2] - 1, +parts[3]));
    try {
      return new Intl.DateTimeFormat(lang, { dateStyle: "long", timeZone: "UTC" }).format(day);
    } catch (error) {
      return String(iso);
    }
  }

  function named(names, code) {
    return Object.prototype.hasOwnProperty.call(names, code) ? names[code] : code;
  }

  function show(result) {
    var template = document.getElementById("check-" + result.verdict);
    var node = template.content.cloneNode(true);
    if (result.verdict === "valid") {
      var values = {
        c: result.claims.c, n: result.claims.n,
        z: named(zones, result.claims.z), s: named(sectors, result.claims.s),
        r: longDate(result.claims.r), v: result.claims.v, i: longDate(result.claims.i),
        kid: result.kid
      };
      node.querySelectorAll("[data-field]").forEach(function (element) {
        element.textContent = String(values[element.getAttribute("data-field")]);
      });
    } else if (result.reason) {
      node.querySelector("[data-reason-" + result.reason + "]").hidden = false;
    }
    output.replaceChildren(node);
    // The page's own (server) answer, if any, is about an earlier text.
    document.querySelectorAll(".check-page > .verify-result").forEach(function (element) {
      element.remove();
    });
    output.scrollIntoView({ block: "nearest" });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    ed25519Supported().then(function (ok) {
      if (!ok) {
        form.submit(); // the portal checks it, with the same published keys
        return;
      }
      check(textarea.value).then(show);
    });
  });

  function readAt(image, side) {
    var scale = Math.min(1, side / Math.max(image.width, image.height));
    var canvas = document.createElement("canvas");
    canvas.width = Math.round(image.width * scale);
    canvas.height = Math.round(image.height * scale);
    var context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    var pixels = context.getImageData(0, 0, canvas.width, canvas.height);
    return window.jsQR(pixels.data, pixels.width, pixels.height);
  }

  function readPhoto(file) {
    return window.createImageBitmap(file).then(function (image) {
      var largest = Math.max(image.width, image.height);
      for (var i = 0; i < SIDES.length; i++) {
        var code = readAt(image, SIDES[i]);
        if (code || largest <= SIDES[i]) {
          return code;
        }
      }
      return null;
    });
  }

  if (photo && window.jsQR && window.createImageBitmap) {
    photoField.hidden = false;
    photo.addEventListener("change", function () {
      if (!photo.files.length) {
        return;
      }
      readPhoto(photo.files[0]).then(
        function (code) {
          if (!code) {
            show({ verdict: "unreadable" });
            return;
          }
          textarea.value = code.data;
          form.requestSubmit();
        },
        function () { show({ verdict: "unreadable" }); }
      );
    });
  }
})();
