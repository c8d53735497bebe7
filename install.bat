@echo off
rem Samantha installer for Windows: double-click it once.
rem Creates .venv next to this file, installs llama-cpp-python (a prebuilt CPU
rem wheel when one exists, so no Visual Studio is needed) and Samantha itself.
setlocal
cd /d "%~dp0"

set "PY=python"
where py >nul 2>nul && set "PY=py -3"
%PY% -c "import sys; sys.exit(sys.version_info < (3, 10))" >nul 2>nul
if errorlevel 1 (
  echo Samantha needs Python 3.10 or newer. Install it from https://www.python.org/downloads/
  echo and tick "Add python.exe to PATH", then run install.bat again.
  goto :fail
)

if not exist ".venv\Scripts\python.exe" (
  echo == Creating the virtual environment in .venv
  %PY% -m venv .venv || goto :fail
)
".venv\Scripts\python.exe" -m pip install --upgrade pip wheel || goto :fail

echo == Installing llama-cpp-python (prebuilt CPU wheel)
".venv\Scripts\python.exe" -m pip install "llama-cpp-python==0.3.36" --only-binary llama-cpp-python --extra-index-url https://abetlen.github.io/llama-cpp-python/whl/cpu
if errorlevel 1 (
  echo No prebuilt wheel fits this Python: building llama.cpp from source.
  echo This needs Visual Studio Build Tools with "Desktop development with C++".
  ".venv\Scripts\python.exe" -m pip install "llama-cpp-python==0.3.36" || goto :fail
)

echo == Installing Samantha
".venv\Scripts\python.exe" -m pip install -e . || goto :fail

echo == Creating the separate environment that runs the Python models write (data-analysis stack)
".venv\Scripts\samantha.exe" runner setup
if errorlevel 1 echo The code runner environment is not complete: run install.bat again later to finish it.

echo.
echo Samantha is installed. Double-click open_samantha.bat to start it.
pause
exit /b 0

:fail
echo.
echo The installation did not finish. Read the messages above, fix the cause and run install.bat again.
pause
exit /b 1
