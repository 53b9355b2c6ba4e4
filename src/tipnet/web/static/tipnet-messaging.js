/* tipnet secure messaging: the user's side in the browser.
 *
 * The same wire format as the Python client (tipnet.messaging: wire.py, keys.py, envelope.py), on libsodium.js:
 * keys are made here, wrapped with argon2id + SecretBox before they are sent, unlocked here with the passphrase and
 * kept in this page's memory only. Messages are encrypted (XChaCha20-Poly1305), their key boxed (crypto_box) to each
 * recipient and to oneself, the canonical header signed (Ed25519). Incoming messages, key histories and receipts are
 * checked here, not trusted from the server.
 */
(function () {
  "use strict";

  // --- the wire format (must match tipnet/messaging/wire.py) ---------------------------------------------------
  var sodium = null;
  var ORIGINAL = null;

  function canonical(v) {
    if (v === null || typeof v === "boolean") return JSON.stringify(v);
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v)) throw new Error("only integers can be signed");
      return String(v);
    }
    if (typeof v === "string") {
      if (!/^[\x00-\x7f]*$/.test(v)) throw new Error("signed fields must be ASCII");
      return JSON.stringify(v);
    }
    if (Array.isArray(v)) return "[" + v.map(canonical).join(",") + "]";
    return "{" + Object.keys(v).sort().map(function (k) { return JSON.stringify(k) + ":" + canonical(v[k]); }).join(",") + "}";
  }
  function cbytes(obj) { return sodium.from_string(canonical(obj)); }
  function b64(bytes) { return sodium.to_base64(bytes, ORIGINAL); }
  function unb64(text) { return sodium.from_base64(text, ORIGINAL); }
  function digest(bytes) { return sodium.to_hex(sodium.crypto_generichash(32, bytes)); }
  function concat(a, b) { var out = new Uint8Array(a.length + b.length); out.set(a); out.set(b, a.length); return out; }
  function keyId(signPk, boxPk) { return digest(concat(signPk, boxPk)); }
  function stamp(d) { return (d || new Date()).toISOString().replace(/\.\d{3}Z$/, "Z"); }
  function aad(id, part) { return sodium.from_string("tipnet/message/v1/" + id + "/" + part); }
  function sign(identity, obj) { return b64(sodium.crypto_sign_detached(cbytes(obj), identity.signSk)); }
  function verify(signPk, obj, sig, what) {
    if (!sodium.crypto_sign_verify_detached(unb64(sig), cbytes(obj), signPk)) throw new Error("the " + what + " signature does not verify");
  }

  // --- identities -----------------------------------------------------------------------------------------------
  function fromSecrets(user, seed, boxSk) {
    var s = sodium.crypto_sign_seed_keypair(seed);
    var boxPk = sodium.crypto_scalarmult_base(boxSk);
    return { user: user, seed: seed, signPk: s.publicKey, signSk: s.privateKey, boxSk: boxSk, boxPk: boxPk,
             keyId: keyId(s.publicKey, boxPk) };
  }
  function generate(user) { return fromSecrets(user, sodium.randombytes_buf(32), sodium.crypto_box_keypair().privateKey); }

  function wrap(identity, passphrase, ops, mem) {
    ops = ops || sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE;
    mem = mem || sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE;
    var salt = sodium.randombytes_buf(sodium.crypto_pwhash_SALTBYTES);
    var key = sodium.crypto_pwhash(32, passphrase, salt, ops, mem, sodium.crypto_pwhash_ALG_ARGON2ID13);
    var nonce = sodium.randombytes_buf(sodium.crypto_secretbox_NONCEBYTES);
    var ct = sodium.crypto_secretbox_easy(concat(identity.seed, identity.boxSk), nonce, key);
    return { v: 1, kdf: "argon2id13", ops: ops, mem: mem, salt: b64(salt), nonce: b64(nonce), ct: b64(ct), key: identity.keyId };
  }
  function unwrap(blob, passphrase, user) {
    if (blob.kdf !== "argon2id13") throw new Error("unsupported key derivation " + blob.kdf);
    var key = sodium.crypto_pwhash(32, passphrase, unb64(blob.salt), blob.ops, blob.mem, sodium.crypto_pwhash_ALG_ARGON2ID13);
    var raw;
    try { raw = sodium.crypto_secretbox_open_easy(unb64(blob.ct), unb64(blob.nonce), key); } catch (e) { return null; }
    var identity = fromSecrets(user, raw.slice(0, 32), raw.slice(32, 64));
    return identity.keyId === blob.key ? identity : null;
  }
  function bundle(identity, previous) {
    var body = { v: 1, type: "tipnet.identity", user: identity.user, key: identity.keyId, sign_pk: b64(identity.signPk),
                 box_pk: b64(identity.boxPk), created_at: stamp(), prev: previous ? previous.keyId : null };
    return { bundle: body, self_sig: sign(identity, body), prev_sig: previous ? sign(previous, body) : null };
  }
  function publicFrom(body) {
    var signPk = unb64(body.sign_pk), boxPk = unb64(body.box_pk);
    if (keyId(signPk, boxPk) !== body.key) throw new Error("a key id is not the fingerprint of its public keys");
    return { user: body.user, keyId: body.key, signPk: signPk, boxPk: boxPk, prev: body.prev };
  }
  // A user's key history, oldest first: self-signed bundles, each rotation signed by the key it replaced.
  function verifyHistory(entries, user) {
    var known = {};
    entries.forEach(function (e) {
      var k = publicFrom(e.bundle);
      if (k.user !== user) throw new Error("a key of another account was handed out for account " + user);
      verify(k.signPk, e.bundle, e.self_sig, "identity self");
      if (k.prev) {
        if (!known[k.prev]) throw new Error("a key claims a previous key that is not in the history");
        verify(known[k.prev].signPk, e.bundle, e.prev_sig, "key rotation");
      }
      known[k.keyId] = k;
    });
    return known;
  }

  var PAD_BLOCK = 512;  // as tipnet.messaging.envelope.PAD_BLOCK

  // --- envelopes --------------------------------------------------------------------------------------------------
  function encrypt(key, id, part, data) {
    var nonce = sodium.randombytes_buf(sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    var ct = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(data, aad(id, part), null, nonce, key);
    return [{ nonce: b64(nonce), hash: digest(ct), size: ct.length }, ct];
  }
  // plain: {subject, text, attachments: [{name, type, content: Uint8Array}]}; recipients: public keys (publicFrom)
  function seal(me, recipients, plain, seq, sentAt, urgent) {
    var id = sodium.to_hex(sodium.randombytes_buf(16));
    var key = sodium.randombytes_buf(32);
    var atts = plain.attachments || [];
    var listing = atts.map(function (a) { return { name: a.name, type: a.type || "application/octet-stream", size: a.content.length }; });
    var body = encrypt(key, id, "body", sodium.pad(sodium.from_string(JSON.stringify({ subject: plain.subject, text: plain.text, attachments: listing })), PAD_BLOCK));
    var parts = atts.map(function (a, i) { return encrypt(key, id, "attachment/" + i, a.content); });
    var seen = {}, to = [];
    recipients.concat([{ user: me.user, keyId: me.keyId, boxPk: me.boxPk }]).forEach(function (r) {
      if (seen[r.user]) return;
      seen[r.user] = true;
      var nonce = sodium.randombytes_buf(sodium.crypto_box_NONCEBYTES);
      to.push({ user: r.user, key: r.keyId, nonce: b64(nonce), wrapped: b64(sodium.crypto_box_easy(key, nonce, r.boxPk, me.boxSk)) });
    });
    var header = { v: 1, type: "tipnet.message", id: id, from: { user: me.user, key: me.keyId }, seq: seq, sent_at: sentAt || stamp(),
                   urgent: !!urgent, to: to, body: body[0], attachments: parts.map(function (p) { return p[0]; }) };
    return { header: header, signature: sign(me, header), body: b64(body[1]), attachments: parts.map(function (p) { return b64(p[1]); }) };
  }
  function decryptPart(key, header, part, meta, ct) {
    if (digest(ct) !== meta.hash) throw new Error("the " + part + " is not the ciphertext the sender signed");
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ct, aad(header.id, part), unb64(meta.nonce), key);
  }
  // item: {header, signature, body}; identities: my unlocked keys by id; senderKeys: the sender's checked public key
  function open(item, myUser, identities, senderKeys, attachments) {
    var header = item.header;
    verify(senderKeys.signPk, header, item.signature, "message");
    var mine = header.to.filter(function (r) { return r.user === myUser && identities[r.key]; })[0];
    if (!mine) throw new Error("this message is for a key of yours that is not unlocked");
    var key = sodium.crypto_box_open_easy(unb64(mine.wrapped), unb64(mine.nonce), senderKeys.boxPk, identities[mine.key].boxSk);
    var body = JSON.parse(sodium.to_string(sodium.unpad(decryptPart(key, header, "body", header.body, unb64(item.body)), PAD_BLOCK)));
    body.contents = (attachments || []).map(function (ct, i) { return decryptPart(key, header, "attachment/" + i, header.attachments[i], ct); });
    body.key = mine.key;
    return body;
  }
  function envelopeHash(header) { return digest(cbytes(header)); }
  function receipt(identity, header, kind) {
    var body = { v: 1, type: "tipnet.receipt", kind: kind, message: header.id, envelope: envelopeHash(header),
                 user: identity.user, key: identity.keyId, at: stamp() };
    return { receipt: body, signature: sign(identity, body) };
  }
  function verifyReceipt(signed, header, signer) {
    var r = signed.receipt;
    if (r.message !== header.id || r.envelope !== envelopeHash(header)) throw new Error("the receipt is for another message");
    if (r.user !== signer.user || r.key !== signer.keyId) throw new Error("the receipt names another signer");
    verify(signer.signPk, r, signed.signature, "receipt");
    return r;
  }

  var crypto = { canonical: canonical, b64: b64, unb64: unb64, digest: digest, generate: generate, wrap: wrap, unwrap: unwrap,
                 bundle: bundle, publicFrom: publicFrom, verifyHistory: verifyHistory, seal: seal, open: open,
                 receipt: receipt, verifyReceipt: verifyReceipt, envelopeHash: envelopeHash, stamp: stamp };

  // --- the page ---------------------------------------------------------------------------------------------------
  var T = {};
  function t(key) { return T[key] || key; }
  function $(sel) { return document.querySelector(sel); }
  function csrf() { var m = document.querySelector("meta[name=csrf-token]"); return m ? m.content : ""; }
  function api(method, url, body) {
    var init = { method: method, headers: { "accept": "application/json", "x-csrf-token": csrf() }, credentials: "same-origin" };
    if (body !== undefined) { init.headers["content-type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(url, init).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) {
          var err = new Error((data.error && data.error.message) || ("HTTP " + r.status));
          err.code = data.error && data.error.code;
          throw err;
        }
        return data;
      });
    });
  }
  function text(el, value) { el.textContent = value; return el; }
  function make(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { el.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return el;
  }
  function status(message, error) {
    var el = $("#msg-status");
    text(el, message);
    el.className = error ? "alert error" : "alert";
    el.hidden = !message;
  }

  var MAX_ATTACHMENT = 8 * 1024 * 1024;  // as tipnet.messaging.envelope.MAX_ATTACHMENT_BYTES
  var state = { user: null, identities: {}, current: null, people: {}, histories: {} };

  function history(user) {
    if (state.histories[user]) return Promise.resolve(state.histories[user]);
    return api("GET", "/messages/users/" + user + "/keys.json").then(function (data) {
      state.histories[user] = verifyHistory(data.keys, user);
      return state.histories[user];
    });
  }
  function who(user) { var p = state.people[user]; return p ? p.name + " (" + (p.country || "OAS") + ")" : "#" + user; }

  function start() {
    api("GET", "/messages/keys.json").then(function (mine) {
      state.user = mine.user;
      $("#msg-lock").hidden = false;
      $("#msg-create").hidden = !!mine.current;  // no key yet, or the last one was revoked
      $("#msg-unlock").hidden = mine.keys.length === 0;
    }).catch(function (e) { status(e.message, true); });
  }

  function createKeys(ev) {
    ev.preventDefault();
    var p1 = $("#msg-new-passphrase").value, p2 = $("#msg-new-passphrase2").value;
    if (p1.length < 12) return status(t("messaging.passphrase_short"), true);
    if (p1 !== p2) return status(t("messaging.passphrase_mismatch"), true);
    status(t("messaging.working"));
    setTimeout(function () {
      var identity = generate(state.user);
      var signed = bundle(identity, null);
      api("POST", "/messages/keys.json", { signed: signed, wrapped: wrap(identity, p1) }).then(function () {
        state.identities[identity.keyId] = identity;
        state.current = identity.keyId;
        enter();
      }).catch(function (e) { status(e.message, true); });
    }, 10);
  }

  function unlock(ev) {
    ev.preventDefault();
    var pass = $("#msg-passphrase").value;
    status(t("messaging.working"));
    api("GET", "/messages/keys.json").then(function (mine) {
      mine.keys.forEach(function (k) {
        var identity = unwrap(k.wrapped, pass, mine.user);
        if (identity) state.identities[identity.keyId] = identity;
      });
      if (!Object.keys(state.identities).length) throw new Error(t("messaging.wrong_passphrase"));
      state.current = state.identities[mine.current] ? mine.current : null;
      enter();
    }).catch(function (e) { status(e.message, true); });
  }

  function enter() {
    $("#msg-lock").hidden = true;
    $("#msg-app").hidden = false;
    status("");
    text($("#msg-fingerprint"), state.current || "");
    api("GET", "/messages/directory.json").then(function (dir) {
      var select = $("#msg-to");
      select.innerHTML = "";
      dir.people.forEach(function (p) {
        state.people[p.user] = p;
        var label = p.name + " · " + (p.country || "OAS") + " · " + p.role;
        if (p.operational_for) label += " · " + t("messaging.operational") + " " + p.operational_for;
        if (p.user !== state.user) select.appendChild(make("option", { value: String(p.user) }, [label]));
      });
      return refresh();
    }).catch(function (e) { status(e.message, true); });
  }

  function readFiles(input) {
    return Promise.all(Array.prototype.map.call(input.files || [], function (f) {
      return f.arrayBuffer().then(function (buf) { return { name: f.name, type: f.type || "application/octet-stream", content: new Uint8Array(buf) }; });
    }));
  }

  function send(ev) {
    ev.preventDefault();
    var me = state.identities[state.current];
    if (!me) return status(t("messaging.no_current_key"), true);
    var to = Array.prototype.map.call($("#msg-to").selectedOptions, function (o) { return parseInt(o.value, 10); });
    if (!to.length) return status(t("messaging.pick_recipient"), true);
    var files = $("#msg-files").files || [];
    for (var i = 0; i < files.length; i++) if (files[i].size > MAX_ATTACHMENT) return status(t("messaging.too_large"), true);
    status(t("messaging.working"));
    Promise.all([readFiles($("#msg-files")), api("GET", "/messages/keys.json"), api("GET", "/messages/directory.json")]).then(function (got) {
      var current = {};
      got[2].people.forEach(function (p) { current[p.user] = p.bundle.key; });
      return Promise.all(to.map(function (u) {
        state.histories[u] = null;
        return history(u).then(function (h) {
          if (!current[u] || !h[current[u]]) throw new Error(t("messaging.no_key_for") + " " + who(u));
          return h[current[u]];
        });
      })).then(function (recipients) {
        var plain = { subject: $("#msg-subject").value, text: $("#msg-text").value, attachments: got[0] };
        return api("POST", "/messages/send.json", seal(me, recipients, plain, got[1].next_seq, stamp(), $("#msg-urgent").checked));
      });
    }).then(function (res) {
      $("#msg-compose").reset();
      status(t("messaging.sent"));
      $("#msg-status").setAttribute("data-sent", res.id);
      return refresh();
    }).catch(function (e) { status(e.message, true); });
  }

  function openItem(item, attachments) {
    var sender = item.header.from.user;
    return history(sender).then(function (h) {
      var keys = h[item.header.from.key];
      if (!keys) throw new Error("signed with a key not in the sender's history");
      return open(item, state.user, state.identities, keys, attachments);
    });
  }

  function receiptCell(item) {
    var cell = make("td", { "class": "msg-receipts" });
    var recipients = item.header.to.filter(function (r) { return r.user !== state.user; });
    Promise.all(item.receipts.map(function (signed) {
      return history(signed.receipt.user).then(function (h) {
        var signer = h[signed.receipt.key];
        if (!signer) throw new Error("unknown signer");
        return verifyReceipt(signed, item.header, signer);
      });
    })).then(function (verified) {
      var read = verified.filter(function (r) { return r.kind === "read"; }).length;
      var delivered = verified.filter(function (r) { return r.kind === "delivered"; }).length;
      var kind = read >= recipients.length ? "read" : delivered >= recipients.length ? "delivered" : "none";
      cell.setAttribute("data-verified", kind);
      text(cell, kind === "none" ? t("messaging.not_yet") : t("messaging.receipt_" + kind) + " " + verified.filter(function (r) { return r.kind === kind; }).map(function (r) { return r.at; }).join(", "));
    }).catch(function (e) { cell.setAttribute("data-verified", "forged"); text(cell, t("messaging.receipt_invalid") + ": " + e.message); });
    return cell;
  }

  // Sign a receipt unless this account gave one of that kind already (a receipt given meanwhile is no error).
  function signReceipt(item, body, kind) {
    var given = item.receipts.some(function (r) { return r.receipt.user === state.user && r.receipt.kind === kind; });
    if (given) return Promise.resolve(null);
    return api("POST", "/messages/" + item.id + "/receipts.json", receipt(state.identities[body.key], item.header, kind))
      .catch(function (e) { if (e.code !== "replayed") throw e; return null; });
  }

  function row(item, folder) {
    var tr = make("tr", { "data-id": item.id, "class": item.urgent ? "urgent" : "" });
    var subject = make("td", { "class": "msg-subject" });
    openItem(item).then(function (body) {
      text(subject, body.subject);
      if (folder === "inbox") signReceipt(item, body, "delivered");  // it reached this client and opened
    })
      .catch(function (e) { text(subject, t("messaging.cannot_open") + ": " + e.message); });
    var peer = folder === "inbox" ? who(item.header.from.user)
      : item.header.to.filter(function (r) { return r.user !== state.user; }).map(function (r) { return who(r.user); }).join(", ");
    tr.appendChild(make("td", {}, [item.urgent ? t("messaging.urgent") : ""]));
    tr.appendChild(make("td", {}, [peer]));
    tr.appendChild(subject);
    tr.appendChild(make("td", {}, [item.header.sent_at]));
    tr.appendChild(folder === "sent" ? receiptCell(item) : make("td", {}, [item.attachment_sizes.length ? String(item.attachment_sizes.length) : ""]));
    var button = make("button", { type: "button", "class": "msg-open" }, [t("messaging.open")]);
    button.addEventListener("click", function () { read(item.id, folder); });
    tr.appendChild(make("td", {}, [button]));
    return tr;
  }

  function refresh() {
    return api("GET", "/messages/mailbox.json").then(function (box) {
      ["inbox", "sent"].forEach(function (folder) {
        var body = $("#msg-" + folder + " tbody");
        body.innerHTML = "";
        box[folder].forEach(function (item) { body.appendChild(row(item, folder)); });
      });
      text($("#msg-alert-count"), String(box.alerts));
      $("#msg-alerts").hidden = !box.alerts;
    });
  }

  function read(id, folder) {
    api("GET", "/messages/" + id + ".json").then(function (item) {
      return Promise.all(item.attachment_sizes.map(function (_, i) {
        return api("GET", "/messages/" + id + "/attachments/" + i + ".json").then(function (a) { return unb64(a.content); });
      })).then(function (cts) {
        return openItem(item, cts).then(function (body) {
          var reader = $("#msg-reader");
          reader.hidden = false;
          reader.setAttribute("data-id", id);
          reader.removeAttribute("data-receipts");
          text($("#msg-reader-from"), who(item.header.from.user));
          text($("#msg-reader-subject"), body.subject);
          text($("#msg-reader-text"), body.text);
          var list = $("#msg-reader-attachments");
          list.innerHTML = "";
          body.attachments.forEach(function (a, i) {
            var url = URL.createObjectURL(new Blob([body.contents[i]], { type: a.type }));
            list.appendChild(make("li", {}, [make("a", { href: url, download: a.name }, [a.name]), " (" + a.size + ")"]));
          });
          if (folder !== "inbox") return null;
          return signReceipt(item, body, "delivered").then(function () { return signReceipt(item, body, "read"); })
            .then(function () { reader.setAttribute("data-receipts", "signed"); return refresh(); });
        });
      });
    }).catch(function (e) { status(e.message, true); });
  }

  // A new key signed by the current one (old keys stay unlocked here and in the store, for old messages).
  function rotate(ev) {
    ev.preventDefault();
    var old = state.identities[state.current];
    if (!old) return status(t("messaging.no_current_key"), true);
    var pass = $("#msg-rotate-passphrase").value;
    if (pass.length < 12) return status(t("messaging.passphrase_short"), true);
    status(t("messaging.working"));
    setTimeout(function () {
      var identity = generate(state.user);
      api("POST", "/messages/keys.json", { signed: bundle(identity, old), wrapped: wrap(identity, pass) }).then(function () {
        state.identities[identity.keyId] = identity;
        state.current = identity.keyId;
        state.histories[state.user] = null;
        text($("#msg-fingerprint"), identity.keyId);
        $("#msg-rotate").reset();
        status(t("messaging.rotated"));
      }).catch(function (e) { status(e.message, true); });
    }, 10);
  }

  function revoke(ev) {
    ev.preventDefault();
    if (!state.current || !window.confirm(t("messaging.revoke_confirm"))) return;
    api("POST", "/messages/keys/" + state.current + "/revoke.json").then(function () {
      state.current = null;
      $("#msg-app").hidden = true;
      start();
    }).catch(function (e) { status(e.message, true); });
  }

  function init() {
    var root = document.getElementById("messaging");
    if (!root) return;
    T = JSON.parse(document.getElementById("msg-i18n").textContent);
    window.sodium.ready.then(function () {
      sodium = window.sodium;
      ORIGINAL = sodium.base64_variants.ORIGINAL;
      $("#msg-create").addEventListener("submit", createKeys);
      $("#msg-unlock").addEventListener("submit", unlock);
      $("#msg-compose").addEventListener("submit", send);
      $("#msg-rotate").addEventListener("submit", rotate);
      $("#msg-revoke").addEventListener("submit", revoke);
      root.setAttribute("data-ready", "1");
      start();
    });
  }

  window.tipnetMessaging = crypto;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
