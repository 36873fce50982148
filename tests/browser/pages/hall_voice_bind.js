// What the hall display's own script does with the button (a file: no inline script).
window.HallVoice.bindUnlockButton(document.getElementById("voice-unlock"));
