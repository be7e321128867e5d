/* CFS screens: the scanner field, its visual and audible cues, and the print buttons. Loaded by the CFS pages only; no
   inline scripts (CSP). */
(function () {
  "use strict";

  function scanInput() { return document.querySelector("[data-scan-input]"); }

  function refocus() {
    var input = scanInput();
    if (input && document.activeElement !== input) input.focus();
  }

  // A visual cue: the field flashes green or red; restarted on every scan.
  function cue(result) {
    var input = scanInput();
    if (!input) return;
    input.classList.remove("scan-ok", "scan-bad");
    void input.offsetWidth;  // restart the animation
    if (result === "ok") input.classList.add("scan-ok");
    if (result === "bad") input.classList.add("scan-bad");
  }

  // And a sound, since the operator is often looking at the parcel, not the screen: a short high beep for a scan
  // accepted, a low double buzz for one refused, made with the Web Audio API (no sound files). The switch on the screen
  // turns it off; the choice is remembered on this device, and the sound is on until someone turns it off.
  var SOUND_KEY = "calista.cfs.scanSound";
  var TONES = {  // frequency (Hz) and length (s) of each note; a square wave sounds louder than a sine at the same level
    accepted: { wave: "sine", level: 0.3, notes: [[1200, 0.1]] },
    refused: { wave: "square", level: 0.15, notes: [[220, 0.18], [220, 0.18]] },
  };
  var audio = null;

  function soundOn() {
    try { return window.localStorage.getItem(SOUND_KEY) !== "off"; } catch (err) { return true; }
  }

  function soundRemember(on) {
    try { window.localStorage.setItem(SOUND_KEY, on ? "on" : "off"); } catch (err) { /* private browsing: for this page only */ }
  }

  function audioReady() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    if (!audio) audio = new Context();
    if (audio.state === "suspended") audio.resume();
    return audio;
  }

  // Browsers let a page make sound only from a gesture on it (some only within the gesture's own event): the audio is
  // readied on each key (a scanner's too) and tap, and the answer that arrives later may sound.
  ["keydown", "pointerdown"].forEach(function (kind) {
    document.addEventListener(kind, function () { if (scanInput() && soundOn()) audioReady(); }, true);
  });

  function tone(kind) {
    if (!soundOn()) return;
    var context = audioReady();
    if (!context) return;
    var at = context.currentTime + 0.01;
    TONES[kind].notes.forEach(function (note) {
      var oscillator = context.createOscillator();
      var gain = context.createGain();
      oscillator.type = TONES[kind].wave;
      oscillator.frequency.value = note[0];
      gain.gain.setValueAtTime(0, at);  // short ramps in and out, so that the note does not click
      gain.gain.linearRampToValueAtTime(TONES[kind].level, at + 0.01);
      gain.gain.setValueAtTime(TONES[kind].level, at + note[1] - 0.02);
      gain.gain.linearRampToValueAtTime(0, at + note[1]);
      oscillator.connect(gain);
      gain.connect(context.destination);
      oscillator.start(at);
      oscillator.stop(at + note[1]);
      at += note[1] + 0.06;
    });
  }

  function soundSwitch() { return document.querySelector("[data-scan-sound]"); }

  // The switch is in the page hidden: without JavaScript there is no sound to switch.
  function soundSwitchShow() {
    var input = soundSwitch();
    if (!input) return;
    input.checked = soundOn();
    input.closest("[data-scan-sound-switch]").hidden = false;
  }

  // Each scan (ended by Enter, or the Enter button) is taken from the field at once and the field emptied, so that a
  // fast second scan cannot mix with the first; htmx queues the requests on the form (hx-sync) and sends the pending
  // HAWB as the previous answer left it. The target is the form's hx-target, found when the request leaves the queue:
  // a target given here would be the #scan-state of the moment of the scan, which the answers before it replace, and
  // htmx drops an answer whose target has left the page.
  function send(form, source) {
    var input = scanInput();
    var code = input.value;
    input.value = "";
    window.htmx.ajax("POST", form.action, { source: source || form, values: { code: code } });
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches("[data-scan-form]") || !window.htmx) return;
    e.preventDefault();
    send(form);
  });
  // A form with a scan field inside (the collection: scan MAWBs, then record the truck): Enter in the scan field is a
  // scan, and the form's own submit button still submits it. The scan is sent from the field, which htmx sends with its
  // form's values and target but without validating the form: the truck's fields are still empty while MAWBs are scanned.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.target !== scanInput() || !window.htmx) return;
    var form = e.target.form;
    if (!form || !form.matches("[data-scan-within]")) return;
    e.preventDefault();
    send(form, e.target);
  });

  // Each answer swaps in a new #scan-state; cue it once. The answer to a scan sounds (accepted or refused); "Start over"
  // answers too, silently.
  document.addEventListener("htmx:afterSettle", function () {
    var state = document.getElementById("scan-state");
    if (!state || state.dataset.cued) return;
    state.dataset.cued = "1";
    var result = state.dataset.scanResult;
    cue(result);
    if (result === "bad") tone("refused");
    else if ("scanAnswered" in state.dataset) tone("accepted");
    refocus();
  });

  // Focus stays in the scanner field: after choosing a carrier or switching the sound, and after a tap anywhere that is
  // not a control.
  document.addEventListener("change", function (e) {
    if (e.target.matches("[data-carrier]")) refocus();
    if (e.target.matches("[data-scan-sound]")) {
      soundRemember(e.target.checked);
      if (e.target.checked) tone("accepted");  // the sound it will make
      refocus();
    }
  });
  document.addEventListener("click", function (e) {
    if (!scanInput()) return;
    // Tapping the carrier already chosen fires no change event, and the tap put focus on its radio: take it back.
    var label = e.target.closest("label");
    if (e.target.matches("[data-carrier]") || (label && label.control && label.control.matches("[data-carrier]"))) {
      window.setTimeout(refocus, 0);
      return;
    }
    if (e.target.closest("a, input, select, textarea, button, label, [tabindex]")) return;
    refocus();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && e.target === scanInput()) {
      var reset = document.querySelector("[data-scan-reset]");
      if (reset) reset.click();
    }
  });

  // The field is focused on arrival too (autofocus is not honoured after every kind of navigation).
  function ready() {
    soundSwitchShow();
    refocus();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready); else ready();

  // Print buttons of the pick list and the hand-off manifest (the page), and of the carrier card (data-print="card": the
  // card alone, the rest of the scan page hidden while it prints).
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-print]");
    if (!button) return;
    if (button.dataset.print === "card") document.body.classList.add("print-card-only");
    window.print();
  });
  window.addEventListener("afterprint", function () {
    document.body.classList.remove("print-card-only");
    refocus();
  });
})();
