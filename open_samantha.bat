@echo off
rem Starts Samantha and opens it in the browser (http://127.0.0.1:7860).
rem Runs install.bat first if Samantha is not installed yet.
setlocal
cd /d "%~dp0"
if not exist ".venv\Scripts\samantha.exe" (
  call install.bat
  if errorlevel 1 exit /b 1
)
".venv\Scripts\samantha.exe" %*
if errorlevel 1 pause
