// Passkeys: the browser's passkey dialog for the forms marked data-passkey. Each form
// fetches its options (data-options, a POST with the page's CSRF token), asks the
// browser, puts the answer in its hidden "answer" field and is sent as usual, so the
// server answers with its own page. Without this script, or without passkey support,
// the forms stay hidden or say why, and everything else works the same.
"use strict";

(function () {
  const forms = document.querySelectorAll("form[data-passkey]");
  if (forms.length === 0) {
    return;
  }
  const supported = typeof window.PublicKeyCredential === "function" &&
    navigator.credentials && typeof navigator.credentials.create === "function";

  function fromBase64url(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
  }

  function toBase64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    bytes.forEach((b) => { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withBuffers(options) {
    const parsed = Object.assign({}, options, { challenge: fromBase64url(options.challenge) });
    if (options.user) {
      parsed.user = Object.assign({}, options.user, { id: fromBase64url(options.user.id) });
    }
    ["excludeCredentials", "allowCredentials"].forEach((name) => {
      if (options[name]) {
        parsed[name] = options[name].map((c) => Object.assign({}, c, { id: fromBase64url(c.id) }));
      }
    });
    return parsed;
  }

  function answerOf(credential) {
    if (typeof credential.toJSON === "function") {
      return credential.toJSON();
    }
    const r = credential.response;
    const response = { clientDataJSON: toBase64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toBase64url(r.attestationObject);
      response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
    } else {
      response.authenticatorData = toBase64url(r.authenticatorData);
      response.signature = toBase64url(r.signature);
      response.userHandle = r.userHandle ? toBase64url(r.userHandle) : null;
    }
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || null,
    };
  }

  // A box of the page's other form that applies here too ("Don't ask again", "Keep me
  // signed in"): its state goes along in this form's hidden field of the same name.
  function copyTicks(form) {
    form.querySelectorAll("input[type=hidden][data-copy]").forEach((field) => {
      const box = document.getElementById(field.dataset.copy);
      field.value = box && box.checked ? "on" : "";
    });
  }

  function say(form, text) {
    const status = form.querySelector("[data-passkey-status]");
    if (status) {
      status.textContent = text;
      status.hidden = !text;
    }
  }

  async function options(form) {
    const token = form.querySelector("input[name=csrf_token]").value;
    const response = await fetch(form.dataset.options, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, Accept: "application/json" },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error(body.detail || "The passkey dialog could not be prepared. Try again.");
    }
    return body.publicKey;
  }

  async function run(form) {
    const wanted = await options(form);
    const creating = form.dataset.passkey === "register";
    const credential = creating
      ? await navigator.credentials.create({ publicKey: withBuffers(wanted) })
      : await navigator.credentials.get({ publicKey: withBuffers(wanted) });
    form.querySelector("input[name=answer]").value = JSON.stringify(answerOf(credential));
    copyTicks(form);
    form.submit();
  }

  function failed(form, error) {
    if (error && (error.name === "NotAllowedError" || error.name === "AbortError")) {
      say(form, "The passkey dialog was closed; nothing was changed.");
    } else if (error && error.name === "InvalidStateError") {
      say(form, "This device already holds a passkey for this account.");
    } else if (error && error.name === "SecurityError") {
      say(form, "Passkeys work only at this site's own address.");
    } else {
      say(form, (error && error.message) || "The passkey could not be used. Try again.");
    }
  }

  forms.forEach((form) => {
    form.hidden = false;
    const button = form.querySelector("button");
    if (!supported) {
      button.disabled = true;
      say(form, "This browser cannot use passkeys.");
      return;
    }
    form.addEventListener("submit", (event) => {
      if (form.querySelector("input[name=answer]").value) {
        return; // the answer is in: let the form go
      }
      event.preventDefault();
      say(form, "");
      button.disabled = true;
      run(form).catch((error) => failed(form, error)).finally(() => { button.disabled = false; });
    });
  });
})();
