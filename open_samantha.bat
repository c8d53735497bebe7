@echo off
rem Double-click to start Samantha; the browser opens http://127.0.0.1:7860 once the page answers.
rem Runs install.bat first if Samantha is not installed yet. A second double-click while Samantha
rem runs only opens the page. Options (open_samantha.bat --port 7861 ...) go to samantha, which
rem then opens the browser itself.
chcp 65001 >nul
setlocal EnableExtensions DisableDelayedExpansion
cd /d "%~dp0"
set "SAMANTHA_HOME=%CD%"
set "PYTHONUTF8=1"
if not exist ".venv\Scripts\samantha.exe" call "%SAMANTHA_HOME%\install.bat"
if not exist ".venv\Scripts\samantha.exe" exit /b 1
set "VPY=%SAMANTHA_HOME%\.venv\Scripts\python.exe"
if not "%~1"=="" goto :with_options

"%VPY%" "%SAMANTHA_HOME%\scripts\open_when_ready.py" --check && exit /b 0
start "" /b "%VPY%" "%SAMANTHA_HOME%\scripts\open_when_ready.py"
"%SAMANTHA_HOME%\.venv\Scripts\samantha.exe" --no-browser
if errorlevel 1 pause
exit /b

:with_options
"%SAMANTHA_HOME%\.venv\Scripts\samantha.exe" %*
if errorlevel 1 pause
