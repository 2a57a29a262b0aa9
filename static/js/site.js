// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Buttons and links with data-confirm ask before they act.
  function bindConfirm(root) {
    root.querySelectorAll("[data-confirm]").forEach(function (el) {
      if (el.dataset.confirmBound) { return; }
      el.dataset.confirmBound = "1";
      el.addEventListener("click", function (event) {
        if (!window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  }

  // <span class="countdown" data-deadline="ISO">还剩 3 天 5 小时</span>: the server writes the
  // text; this keeps it ticking.
  function remainingText(ms) {
    if (ms <= 0) { return "已截止"; }
    var s = Math.floor(ms / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d > 0) { return "还剩 " + d + " 天 " + h + " 小时 " + m + " 分"; }
    if (h > 0) { return "还剩 " + h + " 小时 " + m + " 分 " + sec + " 秒"; }
    return "还剩 " + m + " 分 " + sec + " 秒";
  }
  function tickCountdowns() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("data-deadline"));
      if (isNaN(at)) { return; }
      el.textContent = remainingText(at - now);
      el.classList.toggle("is-over", at - now <= 0);
    });
  }

  // Material uploads: XHR with a progress bar; on success reload to show the new version, on
  // error show the server's message beside the form. Without JS the form posts normally.
  function bindUploads(root) {
    root.querySelectorAll("form[data-upload]").forEach(function (form) {
      if (form.dataset.uploadBound) { return; }
      form.dataset.uploadBound = "1";
      form.addEventListener("submit", function (event) {
        if (!window.XMLHttpRequest || !window.FormData) { return; }
        var input = form.querySelector("input[type=file]");
        var status = form.querySelector(".upload-status");
        var bar = form.querySelector("progress");
        var error = form.querySelector(".upload-error");
        var button = form.querySelector("button[type=submit]");
        if (!input || !input.files || !input.files.length) { return; }  // let the server say so
        event.preventDefault();
        var xhr = new XMLHttpRequest();
        xhr.open("POST", form.action);
        xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
        xhr.setRequestHeader("Accept", "application/json");
        if (status) { status.hidden = false; }
        if (error) { error.textContent = ""; }
        if (button) { button.disabled = true; }
        xhr.upload.addEventListener("progress", function (e) {
          if (e.lengthComputable && bar) {
            bar.value = Math.round((e.loaded / e.total) * 100);
            bar.textContent = bar.value + "%";
          }
        });
        xhr.addEventListener("load", function () {
          var data = {};
          try { data = JSON.parse(xhr.responseText); } catch (e) { data = {}; }
          if (xhr.status >= 200 && xhr.status < 300 && data.ok) {
            if (bar) { bar.value = 100; }
            window.location.reload();
            return;
          }
          if (button) { button.disabled = false; }
          if (status) { status.hidden = true; }
          if (error) { error.textContent = data.message || "上传失败，请稍后重试。"; }
        });
        xhr.addEventListener("error", function () {
          if (button) { button.disabled = false; }
          if (status) { status.hidden = true; }
          if (error) { error.textContent = "网络中断，上传失败，请检查网络后重试。"; }
        });
        xhr.send(new FormData(form));
      });
    });
  }

  // File pickers: a Chinese "选择文件" button and the chosen name, whatever the browser's language.
  function bindFilePickers(root) {
    root.querySelectorAll(".file-picker input[type=file]").forEach(function (input) {
      if (input.dataset.pickerBound) { return; }
      input.dataset.pickerBound = "1";
      input.addEventListener("change", function () {
        var name = input.parentNode.querySelector(".file-name");
        if (name) { name.textContent = input.files && input.files.length ? input.files[0].name : "未选择文件"; }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    bindFilePickers(document);
    bindConfirm(document);
    bindUploads(document);
    tickCountdowns();
    if (document.querySelector(".countdown[data-deadline]")) { window.setInterval(tickCountdowns, 1000); }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    bindFilePickers(event.target);
    bindConfirm(event.target);
    bindUploads(event.target);
    tickCountdowns();
  });
})();
